// Request/response workloads: puts, ranges and compare-and-swap transactions. Each returns its
// latency samples; the caller runs it A B A B across systems.
import { runClosedLoop } from './closed-loop';
import { ClientPool } from './client-pool';
import { COMPARE_EQUAL, COMPARE_TARGET_MOD, int64ToNumber } from './etcd-wire';
import { namespacePrefix, podKey, prefixEnd } from './keys';
import { Profile } from './profile';
import { Samples } from './stats';

const RPC_TIMEOUT_MS = 10_000;
const PUT_KEY_SPACE = 10_000;
export const RANGE_NAMESPACES = 10;
export const RANGE_KEYS_PER_NAMESPACE = 100;
const RANGE_VALUE_BYTES = 2048;

export interface SliceContext {
  pool: ClientPool;
  profile: Profile;
  /** This slice may not run past this many milliseconds. */
  maxMs: number;
}

export interface KvWorkload {
  name: string;
  /** How it runs A B A B: this many slices per system, each at most sliceMs long. */
  slices: { rounds: number; sliceMs: number };
  run(ctx: SliceContext): Promise<Samples>;
}

export function putWorkloads(profile: Profile): KvWorkload[] {
  const out: KvWorkload[] = [];
  for (const bytes of [256, 2048]) {
    const value = Buffer.alloc(bytes, 0x78);
    const namespace = `put-${bytes}`;
    for (const concurrency of profile.put.concurrencies) {
      out.push({
        name: `put ${bytes === 256 ? '256B' : '2KiB'} c=${concurrency}`,
        slices:
          concurrency === 1
            ? profile.put.single
            : { rounds: profile.rounds, sliceMs: profile.put.sliceMs },
        run: (ctx) =>
          runClosedLoop({
            concurrency,
            maxOps:
              concurrency === 1 ? Math.ceil(ctx.profile.put.maxOps / 10) : ctx.profile.put.maxOps,
            maxMs: ctx.maxMs,
            op: async (w, seq) => {
              const key = podKey(namespace, seq % PUT_KEY_SPACE);
              await ctx.pool.forWorker(w, concurrency).put({ key, value }, RPC_TIMEOUT_MS);
            },
          }),
      });
    }
  }
  return out;
}

/** The keys the range workloads read: RANGE_NAMESPACES namespaces of 100 pods of 2 KiB. */
export async function preloadRangeKeys(pool: ClientPool): Promise<void> {
  const value = Buffer.alloc(RANGE_VALUE_BYTES, 0x72);
  const total = RANGE_NAMESPACES * RANGE_KEYS_PER_NAMESPACE;
  const samples = await runClosedLoop({
    concurrency: 32,
    maxOps: total,
    maxMs: 60_000,
    op: async (w, seq) => {
      const key = podKey(rangeNamespace(Math.floor(seq / RANGE_KEYS_PER_NAMESPACE)), seq % 100);
      await pool.forWorker(w, pool.size).put({ key, value }, RPC_TIMEOUT_MS);
    },
  });
  if (samples.errors > 0) throw new Error(`preload: ${samples.errors} puts failed`);
}

function rangeNamespace(i: number): string {
  return `range-${String(i).padStart(2, '0')}`;
}

export function rangeWorkloads(profile: Profile): KvWorkload[] {
  const slices = { rounds: profile.rounds, sliceMs: profile.range.sliceMs };
  const out: KvWorkload[] = [];
  for (const serializable of [false, true]) {
    const mode = serializable ? 'serializable' : 'linearizable';
    out.push({
      name: `range ${mode} 1 key`,
      slices,
      run: (ctx) => {
        const c = ctx.profile.range.concurrency;
        return runClosedLoop({
          concurrency: c,
          maxOps: ctx.profile.range.maxOps,
          maxMs: ctx.maxMs,
          op: async (w, seq) => {
            const ns = rangeNamespace(seq % RANGE_NAMESPACES);
            const key = podKey(ns, (seq * 7) % RANGE_KEYS_PER_NAMESPACE);
            const res = await ctx.pool.forWorker(w, c).range({ key, serializable }, RPC_TIMEOUT_MS);
            if (res.kvs.length !== 1) throw new Error(`expected 1 key, got ${res.kvs.length}`);
          },
        });
      },
    });
    out.push({
      name: `range ${mode} 100 keys`,
      slices,
      run: (ctx) => {
        const c = ctx.profile.range.concurrency;
        return runClosedLoop({
          concurrency: c,
          maxOps: Math.ceil(ctx.profile.range.maxOps / 10),
          maxMs: ctx.maxMs,
          op: async (w, seq) => {
            const key = namespacePrefix(rangeNamespace(seq % RANGE_NAMESPACES));
            const range_end = prefixEnd(key);
            const res = await ctx.pool
              .forWorker(w, c)
              .range({ key, range_end, serializable }, RPC_TIMEOUT_MS);
            if (res.kvs.length !== RANGE_KEYS_PER_NAMESPACE) {
              throw new Error(`expected ${RANGE_KEYS_PER_NAMESPACE} keys, got ${res.kvs.length}`);
            }
          },
        });
      },
    });
  }
  return out;
}

/**
 * What an API server does on every update: read the object, then write it only if its
 * mod_revision is unchanged. Each worker owns one key, so a failed compare is an error.
 */
export function casWorkload(profile: Profile): KvWorkload {
  const value = Buffer.alloc(2048, 0x63);
  return {
    name: 'txn cas 2KiB c=16',
    slices: { rounds: profile.rounds, sliceMs: profile.txn.sliceMs },
    run: (ctx) => {
      const c = ctx.profile.txn.concurrency;
      return runClosedLoop({
        concurrency: c,
        maxOps: ctx.profile.txn.maxOps,
        maxMs: ctx.maxMs,
        op: async (w) => {
          const client = ctx.pool.forWorker(w, c);
          const key = podKey('cas', w);
          const read = await client.range({ key }, RPC_TIMEOUT_MS);
          const modRevision = int64ToNumber(read.kvs[0]?.mod_revision);
          const res = await client.txn(
            {
              compare: [
                {
                  result: COMPARE_EQUAL,
                  target: COMPARE_TARGET_MOD,
                  key,
                  mod_revision: modRevision,
                },
              ],
              success: [{ request_put: { key, value } }],
              failure: [{ request_range: { key } }],
            },
            RPC_TIMEOUT_MS,
          );
          if (!res.succeeded) throw new Error('compare failed (conflict)');
        },
      });
    },
  };
}
