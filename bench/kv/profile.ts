// The two run lengths. Every slice is bounded in operations and in time; the whole run by
// totalLimitMs on top of that.
export interface Profile {
  name: 'quick' | 'full';
  /** Each workload runs A B A B: this many rounds per system. */
  rounds: number;
  put: { maxOps: number; sliceMs: number; concurrencies: number[]; single: SingleClientSlices };
  range: { maxOps: number; sliceMs: number; concurrency: number };
  txn: { maxOps: number; sliceMs: number; concurrency: number };
  watch: { writes: number; intervalMs: number; watcherCounts: number[]; drainMs: number };
  failover: { rounds: number; steadyMs: number; maxOutageMs: number; concurrency: number };
  totalLimitMs: number;
}

/**
 * Concurrency 1 is judged by its p99, which a few seconds of a noisy neighbour on the machine
 * can move by half: it runs in more, shorter slices, so that such a stretch falls on both
 * systems alike rather than on one system's whole slice.
 */
export interface SingleClientSlices {
  rounds: number;
  sliceMs: number;
}

export const QUICK: Profile = {
  name: 'quick',
  rounds: 2,
  put: {
    maxOps: 30_000,
    sliceMs: 2_000,
    concurrencies: [1, 16, 64, 256],
    single: { rounds: 6, sliceMs: 1_000 },
  },
  range: { maxOps: 30_000, sliceMs: 1_250, concurrency: 16 },
  txn: { maxOps: 20_000, sliceMs: 2_000, concurrency: 16 },
  // Each write is one sample per watcher: p99 is decided by the slowest writes, so a p99 over
  // fewer than ~200 writes per system is mostly noise.
  watch: { writes: 120, intervalMs: 50, watcherCounts: [100, 1000], drainMs: 5_000 },
  failover: { rounds: 2, steadyMs: 1_500, maxOutageMs: 20_000, concurrency: 16 },
  totalLimitMs: 6 * 60_000,
};

export const FULL: Profile = {
  name: 'full',
  rounds: 2,
  put: {
    maxOps: 300_000,
    sliceMs: 8_000,
    concurrencies: [1, 16, 64, 256],
    single: { rounds: 8, sliceMs: 2_500 },
  },
  range: { maxOps: 300_000, sliceMs: 5_000, concurrency: 16 },
  txn: { maxOps: 200_000, sliceMs: 8_000, concurrency: 16 },
  watch: { writes: 300, intervalMs: 50, watcherCounts: [100, 1000], drainMs: 10_000 },
  failover: { rounds: 5, steadyMs: 3_000, maxOutageMs: 30_000, concurrency: 16 },
  totalLimitMs: 25 * 60_000,
};
