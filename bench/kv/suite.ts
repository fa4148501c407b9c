// Runs every selected workload against every started system, A B A B, under one global deadline,
// and collects the rows. A failure inside one workload is recorded and the suite moves on.
import { BenchCluster, SystemName } from './cluster';
import { ClientPool, leaderFirst } from './client-pool';
import { errorText, runClosedLoop } from './closed-loop';
import { runFailover, FailoverRound } from './failover';
import {
  KvWorkload,
  casWorkload,
  preloadRangeKeys,
  putWorkloads,
  rangeWorkloads,
} from './kv-workloads';
import { podKey } from './keys';
import { Options, selected } from './options';
import { WorkloadRow, addRatios, formatRow } from './report';
import { UsageSampler } from './usage-sampler';
import { Samples, round } from './stats';
import { runWatchFanout } from './watch-fanout';

const POOL_CONNECTIONS = 16;

export interface SuiteResult {
  rows: WorkloadRow[];
  failover: Partial<Record<SystemName, FailoverRound[]>>;
}

export async function runSuite(
  clusters: BenchCluster[],
  options: Options,
  deadline: number,
): Promise<SuiteResult> {
  const profile = options.profile;
  const rows: WorkloadRow[] = [];
  const failover: SuiteResult['failover'] = {};
  const pools = new Map<SystemName, ClientPool>();
  const timeLeft = (): number => deadline - Date.now();
  const emit = (row: WorkloadRow): void => {
    addRatios(row);
    rows.push(row);
    console.log(`\n${formatRow(row)}`);
  };

  try {
    for (const cluster of clusters) {
      const pool = new ClientPool(
        leaderFirst(cluster.endpoints, await cluster.leaderIndex()),
        POOL_CONNECTIONS,
      );
      pools.set(cluster.system, pool);
      await preloadRangeKeys(pool);
      // Warm-up: connections, JIT and the stores' first pages, on both systems alike.
      await runClosedLoop({
        concurrency: 16,
        maxOps: 2000,
        maxMs: 10_000,
        op: (w, seq) =>
          pool
            .forWorker(w, 16)
            .put({ key: podKey('warmup', seq % 500), value: Buffer.alloc(256) }, 10_000)
            .then(() => undefined),
      });
    }

    const kv: KvWorkload[] = [
      ...putWorkloads(profile),
      ...rangeWorkloads(profile),
      casWorkload(profile),
    ];
    for (const workload of kv) {
      if (!selected(options, workload.name)) continue;
      emit(
        await alternate(
          workload.name,
          clusters,
          workload.slices.rounds,
          timeLeft,
          workload.slices.sliceMs,
          (cluster, maxMs) => workload.run({ pool: pools.get(cluster.system)!, profile, maxMs }),
        ),
      );
    }
    for (const pool of pools.values()) pool.close();
    pools.clear();

    let run = 0;
    const watchRows = profile.watch.watcherCounts.filter((w) =>
      selected(options, `watch fan-out ${w} watchers`),
    );
    if (watchRows.length > 0) {
      // Warm-up for the watch paths (streams, event encoding, the largest watcher count's
      // memory), unmeasured, on both systems alike: the first round of a cold member otherwise
      // sets the tail of the whole row (in both systems, p99 ~1.5-2x the next round's).
      for (const cluster of clusters) {
        await runWatchFanout({
          endpoints: leaderFirst(cluster.endpoints, await cluster.leaderIndex()),
          watchers: Math.max(...watchRows),
          writes: 40,
          intervalMs: profile.watch.intervalMs,
          drainMs: 1_000,
          namespace: `watch-warmup-${cluster.system}`,
        });
      }
    }
    for (const watchers of profile.watch.watcherCounts) {
      const name = `watch fan-out ${watchers} watchers`;
      if (!selected(options, name)) continue;
      const need = profile.watch.writes * profile.watch.intervalMs + profile.watch.drainMs;
      const row = await alternate(name, clusters, profile.rounds, timeLeft, need, async (cluster) =>
        runWatchFanout({
          // The writer goes to the leader in both systems, as every other workload's clients
          // do. On a follower its ack takes two more hops, which makes deliveries look earlier:
          // with the writer wherever the member list put it, this row measured topology.
          endpoints: leaderFirst(cluster.endpoints, await cluster.leaderIndex()),
          watchers,
          writes: profile.watch.writes,
          intervalMs: profile.watch.intervalMs,
          drainMs: profile.watch.drainMs,
          namespace: `watch-${run++}`,
        }),
      );
      row.unit = 'ops/s = events delivered per second; latency = event arrival minus write ack';
      emit(row);
    }

    if (selected(options, 'failover leader SIGKILL')) {
      const row: WorkloadRow = {
        name: 'failover leader SIGKILL',
        unit: 'ops/s column = rounds; latency = unavailability window, last ack before kill to first ack after',
        results: {},
        extra: {},
      };
      const merged = new Map<SystemName, Samples>();
      for (let r = 0; r < profile.failover.rounds; r++) {
        for (const cluster of clusters) {
          if (timeLeft() < 30_000) {
            row.skipped ??= `global time limit reached after ${r} round(s)`;
            continue;
          }
          try {
            const { rounds, samples } = await runFailover(cluster, {
              ...profile.failover,
              rounds: 1,
              deadline,
            });
            (failover[cluster.system] ??= []).push(...rounds);
            const acc = merged.get(cluster.system) ?? new Samples();
            acc.merge(samples);
            merged.set(cluster.system, acc);
          } catch (err) {
            const acc = merged.get(cluster.system) ?? new Samples();
            acc.addError(`failover round ${r}: ${errorText(err)}`);
            merged.set(cluster.system, acc);
          }
        }
      }
      for (const [system, samples] of merged) {
        // One "second" in all, so the ops/s column reads as the number of rounds.
        samples.seconds = 1;
        row.results[system] = { summary: samples.summary(), rssMiB: {} };
        row.extra![system] = failover[system];
      }
      if (merged.size > 0) row.skipped = undefined;
      emit(row);
    }
  } finally {
    for (const pool of pools.values()) pool.close();
  }
  return { rows, failover };
}

/** Runs one workload A B A B (rounds per system), sampling each system's RSS while it runs. */
async function alternate(
  name: string,
  clusters: BenchCluster[],
  rounds: number,
  timeLeft: () => number,
  sliceMs: number,
  run: (cluster: BenchCluster, maxMs: number) => Promise<Samples>,
): Promise<WorkloadRow> {
  const row: WorkloadRow = { name, results: {} };
  const merged = new Map<
    SystemName,
    { samples: Samples; rss: Record<string, number>; cpuSeconds: number; elections: number }
  >();
  for (let r = 0; r < rounds; r++) {
    for (const cluster of clusters) {
      if (timeLeft() < sliceMs + 5_000) {
        row.skipped ??= 'global time limit reached';
        continue;
      }
      const termBefore = await cluster.raftTerm();
      const sampler = new UsageSampler(cluster.members);
      sampler.start();
      let samples: Samples;
      try {
        samples = await run(cluster, sliceMs);
      } catch (err) {
        samples = new Samples();
        samples.addError(errorText(err));
      }
      const usage = sampler.stop();
      const elections = (await cluster.raftTerm()) - termBefore;
      const acc = merged.get(cluster.system) ?? {
        samples: new Samples(),
        rss: {},
        cpuSeconds: 0,
        elections: 0,
      };
      acc.elections += elections;
      acc.cpuSeconds += usage.cpuSeconds;
      acc.samples.merge(samples);
      for (const [member, mib] of Object.entries(usage.rssMiB))
        acc.rss[member] = Math.max(acc.rss[member] ?? 0, mib);
      merged.set(cluster.system, acc);
    }
  }
  for (const [system, acc] of merged) {
    const summary = acc.samples.summary();
    row.results[system] = {
      summary,
      rssMiB: acc.rss,
      cpuMsPerOp: summary.ops > 0 ? round((acc.cpuSeconds * 1000) / summary.ops, 3) : undefined,
      termChanges: acc.elections,
    };
  }
  if (merged.size > 0) row.skipped = undefined;
  return row;
}
