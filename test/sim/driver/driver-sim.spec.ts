import type { DriverSimStats } from './world';
import { addStats, describeFailure, runDriverSeed } from './run-driver';
import type { StoreKind } from './config';

/**
 * The simulation of the production driver inside `npm test`: seeds of mixed faults over the
 * model state machine and over the real MVCC store, each checked for Raft's safety invariants
 * after every event, the linearizability of what the clients saw, and liveness after healing
 * (every member serves a linearizable read and a write, then all converge). `npm run sim --
 * --seeds N` runs more.
 */
const SEEDS: Record<StoreKind, number> = {
  model: Number(process.env.SIM_DRIVER_SEEDS ?? 80),
  mvcc: Number(process.env.SIM_DRIVER_MVCC_SEEDS ?? 48),
};

async function runSeeds(store: StoreKind, count: number, from = 1) {
  const failures: string[] = [];
  const totals: Partial<DriverSimStats> = {};
  for (let seed = from; seed < from + count; seed++) {
    const r = await runDriverSeed(seed, { store });
    addStats(totals, r.stats);
    if (!r.ok) failures.push(describeFailure(r, 30));
  }
  return { failures, totals: totals as DriverSimStats };
}

describe('the driver simulation (real RaftNode, WAL, snapshots; virtual time, disk and network)', () => {
  it.each(['model', 'mvcc'] as const)(
    'seeds of mixed faults keep every invariant, stay linearizable and recover (%s)',
    async (store) => {
      const n = SEEDS[store];
      const { failures, totals: t } = await runSeeds(store, n);
      expect(failures).toEqual([]);
      // The worlds were hostile and busy: the runs are not vacuous.
      expect(t.completed).toBeGreaterThan(n * 150);
      expect(t.readsCompleted).toBeGreaterThan(n * 50);
      expect(t.crashes).toBeGreaterThan(n);
      expect(t.crashesMidWork).toBeGreaterThan(n / 2);
      expect(t.pauses).toBeGreaterThan(n);
      expect(t.partitions).toBeGreaterThan(n);
      expect(t.slowDisks).toBeGreaterThan(n / 2);
      expect(t.dropped).toBeGreaterThan(n * 50);
      // Snapshots were sent to followers that fell behind, logs were compacted.
      expect(t.snapshotsInstalled).toBeGreaterThan(n / 4);
      expect(t.compactions).toBeGreaterThan(n);
      // Read rounds whose request or answer was lost were asked again.
      expect(t.readRetries).toBeGreaterThan(n);
      // Crashes took unsynced data with them.
      if (store === 'model') expect(t.lostWrites + t.tornWrites).toBeGreaterThan(0);
      else expect(t.lostLevelBatches).toBeGreaterThan(n);
    },
    // CPU-bound: ~25 s each on a quiet machine, several times that on a busy one.
    300_000,
  );

  it('replays a seed exactly', async () => {
    const a = await runDriverSeed(6, { store: 'mvcc', trace: true });
    const b = await runDriverSeed(6, { store: 'mvcc', trace: true });
    expect(a.ok).toBe(true);
    expect(b.stats).toEqual(a.stats);
    expect(b.trace).toEqual(a.trace);
  });

  it.each(['model', 'mvcc'] as const)(
    'catches a disk whose fsync makes nothing durable within 5 seeds (%s)',
    async (store) => {
      let caught: string | undefined;
      for (let seed = 1; seed <= 5 && caught === undefined; seed++) {
        caught = (await runDriverSeed(seed, { store, fsyncLies: true })).failure;
      }
      expect(caught).toMatch(
        /durable term|one vote per term|leader completeness|committed entries agree|state machine safety|linearizability|failed to start|divergence/,
      );
    },
  );

  it('fails a world whose code under test uses a real timer', async () => {
    const { DriverWorld } = await import('./world');
    const { driverConfigForSeed } = await import('./config');
    const world = new DriverWorld(driverConfigForSeed(1, { chaosMs: 2_000 }));
    world.script = async () => {
      setTimeout(() => undefined, 0);
    };
    const r = await world.run();
    expect(r.failure).toMatch(/used real time or randomness: setTimeout x1/);
  });
});
