// A client pinned to one master's Kubernetes API, using ConfigMaps as compare-and-swap registers:
// get (a consistent read), create (swap from absent) and update with a resourceVersion
// precondition (swap from the version this client last saw). Plain HTTP from Node's fetch, one
// request at a time, each with its own deadline and no retries.
//
// Every write stores a value no other write uses, so "the object still has the resourceVersion I
// read" is the same as "it still holds the value I read": the precondition on resourceVersion is
// a compare-and-swap on the value, which is what the key-value model checks.
import { kvCall, kvResult } from '../../sim/linearizability';
import type { History } from '../history';
import type { Keyspace } from '../keyspace';
import type { Rng } from '../../sim/prng';
import { sleep, type ClientOptions } from './etcd-register-client';

export const KUBE_NAMESPACE = 'default';

interface Seen {
  value: string | undefined;
  resourceVersion: string;
}

interface ConfigMapBody {
  metadata?: { resourceVersion?: string };
  data?: Record<string, string>;
}

/** An answer the client could not make sense of: the operation's outcome is unknown. */
class UnexpectedAnswer extends Error {}

export class KubeConfigMapClient {
  private readonly seen = new Map<string, Seen>();
  private seq = 0;

  constructor(
    readonly id: string,
    readonly member: string,
    private readonly apiBase: string,
    private readonly keys: Keyspace,
    private readonly history: History,
    private readonly rng: Rng,
    private readonly opts: ClientOptions,
  ) {}

  async run(stopped: () => boolean): Promise<void> {
    while (!stopped()) {
      const ok = await this.step();
      if (!ok) await sleep(this.opts.errorPauseMs);
    }
  }

  private async step(): Promise<boolean> {
    const name = this.keys.next(this.rng.int(this.keys.slots));
    if (this.rng.float() < 0.5) return this.get(name);
    const value = `${this.id}:${this.seq++}`;
    const seen = this.seen.get(name);
    return seen === undefined ? this.create(name, value) : this.update(name, seen, value);
  }

  private async get(name: string): Promise<boolean> {
    const op = this.history.invoke(this.id, this.member, 'kube', kvCall.get(name));
    try {
      const res = await this.request('GET', this.objectPath(name));
      if (res.status === 404) {
        this.seen.delete(name);
        this.history.ok(op, kvResult.value(undefined));
        return true;
      }
      if (res.status !== 200) throw new UnexpectedAnswer(`GET answered ${res.status}`);
      const value = this.remember(name, res.body);
      this.history.ok(op, kvResult.value(value));
      return true;
    } catch (err) {
      this.history.fail(op, describeHttp(err));
      return false;
    }
  }

  private async create(name: string, value: string): Promise<boolean> {
    const op = this.history.invoke(
      this.id,
      this.member,
      'kube',
      kvCall.cas(name, undefined, value),
    );
    try {
      const res = await this.request('POST', this.collectionPath(), configMap(name, value));
      if (res.status === 201) {
        this.remember(name, res.body);
        this.history.ok(op, kvResult.cas(true));
        return true;
      }
      if (res.status === 409) {
        this.history.ok(op, kvResult.cas(false));
        return true;
      }
      throw new UnexpectedAnswer(`POST answered ${res.status}`);
    } catch (err) {
      this.history.info(op, describeHttp(err));
      return false;
    }
  }

  private async update(name: string, seen: Seen, value: string): Promise<boolean> {
    const op = this.history.invoke(
      this.id,
      this.member,
      'kube',
      kvCall.cas(name, seen.value, value),
    );
    try {
      const res = await this.request(
        'PUT',
        this.objectPath(name),
        configMap(name, value, seen.resourceVersion),
      );
      if (res.status === 200) {
        this.remember(name, res.body);
        this.history.ok(op, kvResult.cas(true));
        return true;
      }
      // 409: another write came first; 404: the object is gone. Either way, nothing was written.
      if (res.status === 409 || res.status === 404) {
        this.seen.delete(name);
        this.history.ok(op, kvResult.cas(false));
        return true;
      }
      throw new UnexpectedAnswer(`PUT answered ${res.status}`);
    } catch (err) {
      // A timeout or a 5xx may come after the write was proposed: it may still take effect.
      this.history.info(op, describeHttp(err));
      return false;
    }
  }

  private remember(name: string, body: unknown): string | undefined {
    const cm = body as ConfigMapBody;
    const resourceVersion = cm.metadata?.resourceVersion;
    if (typeof resourceVersion !== 'string') throw new UnexpectedAnswer('no resourceVersion');
    const value = cm.data?.value;
    this.seen.set(name, { value, resourceVersion });
    return value;
  }

  private collectionPath(): string {
    return `/api/v1/namespaces/${KUBE_NAMESPACE}/configmaps`;
  }

  private objectPath(name: string): string {
    return `${this.collectionPath()}/${name}`;
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const res = await fetch(this.apiBase + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed };
  }
}

function configMap(name: string, value: string, resourceVersion?: string): object {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: KUBE_NAMESPACE, ...(resourceVersion ? { resourceVersion } : {}) },
    data: { value },
  };
}

function describeHttp(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError') return 'deadline exceeded';
  return [e?.message ?? String(err), e?.cause?.code].filter(Boolean).join(': ');
}
