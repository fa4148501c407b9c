import { configForSeed } from './config';
import { World } from './world';

/**
 * The simulation of the pure Raft core as part of `npm test`: a few hundred seeds of mixed
 * faults (drops, duplicates, delays, partitions of every kind, crashes with lost unpersisted
 * writes, snapshots, membership changes), each checked for Raft's safety invariants after every
 * step, linearizability of the client history, and liveness after healing. It drives RawNode
 * with a driver of its own, so it is fast and can switch the core's unsafe options; the
 * production driver runs in test/sim/driver. `npm run sim -- --core --seeds N` runs more.
 */
describe('raft core simulation', () => {
  const SEEDS = Number(process.env.SIM_SEEDS ?? 300);

  it(`${SEEDS} seeds of mixed faults keep every invariant, stay linearizable and recover`, () => {
    const failures: string[] = [];
    let operations = 0;
    let crashes = 0;
    let partitions = 0;
    let appliedMidWrite = 0;
    let appliedBetweenReadies = 0;
    let appliedUnstable = 0;
    let leaderLostReports = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const result = new World(configForSeed(seed)).run();
      operations += result.stats.completed;
      crashes += result.stats.crashes;
      partitions += result.stats.partitions;
      appliedMidWrite += result.stats.appliedMidWrite;
      appliedBetweenReadies += result.stats.appliedBetweenReadies;
      appliedUnstable += result.stats.appliedUnstable;
      leaderLostReports += result.stats.leaderLostReports;
      if (!result.ok)
        failures.push(`seed ${seed}: ${result.failure}\n${result.trace.slice(-20).join('\n')}`);
    }
    expect(failures).toEqual([]);
    // The worlds really were hostile and busy: the run is not vacuous.
    expect(crashes).toBeGreaterThan(SEEDS);
    expect(partitions).toBeGreaterThan(SEEDS);
    expect(operations).toBeGreaterThan(SEEDS * 100);
    // Entries committed during a newer write were applied before that write ended.
    expect(appliedMidWrite).toBeGreaterThan(SEEDS * 10);
    expect(appliedBetweenReadies).toBeGreaterThan(SEEDS * 10);
    // Some were applied before this member's own copy was durable (a majority had it).
    expect(appliedUnstable).toBeGreaterThan(SEEDS);
    // Followers cut off from (or outliving) their leader campaigned early.
    expect(leaderLostReports).toBeGreaterThan(SEEDS);
  });

  it('replays a seed exactly', () => {
    const a = new World(configForSeed(42, { trace: true })).run();
    const b = new World(configForSeed(42, { trace: true })).run();
    expect(a.stats).toEqual(b.stats);
    expect(a.trace).toEqual(b.trace);
  });

  it('catches a core that grants votes without the log up-to-date check within 50 seeds', () => {
    let caught: string | undefined;
    for (let seed = 1; seed <= 50 && !caught; seed++) {
      const r = new World(
        configForSeed(seed, { raft: { unsafe: { skipVoteLogCheck: true } } }),
      ).run();
      if (!r.ok) caught = r.failure;
    }
    expect(caught).toMatch(
      /leader completeness|committed entries agree|state machine safety|linearizability/,
    );
  });

  it('with many duplicated messages no proposal takes effect twice', () => {
    // Duplicates on: a forwarded proposal delivered twice must not take effect twice.
    let sawDuplicates = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const r = new World(
        configForSeed(seed, { network: { drop: 0, duplicate: 0.3, maxDelay: 3 } }),
      ).run();
      expect(r.failure).toBeUndefined();
      sawDuplicates += r.stats.duplicated;
    }
    expect(sawDuplicates).toBeGreaterThan(1000);
  });
});
