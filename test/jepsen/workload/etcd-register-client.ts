// A client pinned to one member, doing linearizable reads, writes and compare-and-swaps on the
// shared registers through the etcd v3 API, each with its own deadline. gRPC straight from
// grpc-js: no client-side retries, so every request in the history was sent exactly once.
import { KvClient } from '../../../bench/kv/client';
import {
  COMPARE_EQUAL,
  COMPARE_TARGET_VALUE,
  COMPARE_TARGET_VERSION,
  RangeResponse,
} from '../../../bench/kv/etcd-wire';
import { kvCall, kvResult } from '../../sim/linearizability';
import type { History } from '../history';
import type { Keyspace } from '../keyspace';
import type { Rng } from '../../sim/prng';

export interface ClientOptions {
  /** Per-request deadline. */
  timeoutMs: number;
  /** Pause after an error, so a member that refuses connections is not spun on. */
  errorPauseMs: number;
}

export class EtcdRegisterClient {
  private readonly kv: KvClient;
  /** The last value this client saw per key: what its next compare-and-swap expects. */
  private readonly seen = new Map<string, string | undefined>();
  private seq = 0;

  constructor(
    readonly id: string,
    readonly member: string,
    endpoint: string,
    private readonly keys: Keyspace,
    private readonly history: History,
    private readonly rng: Rng,
    private readonly opts: ClientOptions,
  ) {
    this.kv = new KvClient(endpoint);
  }

  async run(stopped: () => boolean): Promise<void> {
    try {
      while (!stopped()) {
        const ok = await this.step();
        if (!ok) await sleep(this.opts.errorPauseMs);
      }
    } finally {
      this.kv.close();
    }
  }

  /** One operation; false when it ended in an error. */
  private async step(): Promise<boolean> {
    const key = this.keys.next(this.rng.int(this.keys.slots));
    const roll = this.rng.float();
    if (roll < 0.5) return this.read(key);
    const value = `${this.id}:${this.seq++}`;
    if (roll < 0.75) return this.write(key, value);
    return this.cas(key, this.seen.get(key), value);
  }

  private async read(key: string): Promise<boolean> {
    const op = this.history.invoke(this.id, this.member, 'etcd', kvCall.get(key));
    try {
      const res = await this.kv.range({ key: Buffer.from(key) }, this.opts.timeoutMs);
      const value = valueOf(res);
      this.seen.set(key, value);
      this.history.ok(op, kvResult.value(value));
      return true;
    } catch (err) {
      // A read changes nothing: whatever went wrong, it did not happen.
      this.history.fail(op, describe(err));
      return false;
    }
  }

  private async write(key: string, value: string): Promise<boolean> {
    const op = this.history.invoke(this.id, this.member, 'etcd', kvCall.put(key, value));
    try {
      await this.kv.put({ key: Buffer.from(key), value: Buffer.from(value) }, this.opts.timeoutMs);
      this.seen.set(key, value);
      this.history.ok(op, kvResult.ok());
      return true;
    } catch (err) {
      this.history.info(op, describe(err));
      return false;
    }
  }

  private async cas(key: string, expected: string | undefined, next: string): Promise<boolean> {
    const op = this.history.invoke(this.id, this.member, 'etcd', kvCall.cas(key, expected, next));
    const k = Buffer.from(key);
    const compare =
      expected === undefined
        ? { result: COMPARE_EQUAL, target: COMPARE_TARGET_VERSION, key: k, version: 0 }
        : {
            result: COMPARE_EQUAL,
            target: COMPARE_TARGET_VALUE,
            key: k,
            value: Buffer.from(expected),
          };
    try {
      const res = await this.kv.txn(
        {
          compare: [compare],
          success: [{ request_put: { key: k, value: Buffer.from(next) } }],
          // A refused swap reads the value it lost to, so this client's next one can succeed.
          failure: [{ request_range: { key: k } }],
        },
        this.opts.timeoutMs,
      );
      const applied = res.succeeded === true;
      if (applied) this.seen.set(key, next);
      else this.seen.set(key, valueOf(res.responses[0]?.response_range));
      this.history.ok(op, kvResult.cas(applied));
      return true;
    } catch (err) {
      this.history.info(op, describe(err));
      return false;
    }
  }
}

function valueOf(range: RangeResponse | undefined): string | undefined {
  const kv = range?.kvs[0];
  return kv === undefined ? undefined : Buffer.from(kv.value ?? []).toString();
}

export function describe(err: unknown): string {
  const e = err as { code?: number; details?: string; message?: string };
  if (typeof e?.code === 'number' && e.details !== undefined) return `grpc ${e.code}: ${e.details}`;
  return e?.message ?? String(err);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
