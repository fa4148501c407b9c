import { DriverSimConfig, StoreKind, driverConfigForSeed } from './config';
import { DriverSimResult, DriverSimStats, DriverWorld } from './world';

/** Runs one seed of the driver simulation. */
export function runDriverSeed(
  seed: number,
  overrides: Partial<DriverSimConfig> = {},
): Promise<DriverSimResult> {
  return new DriverWorld(driverConfigForSeed(seed, overrides)).run();
}

/** Adds up the statistics of many runs. */
export function addStats(into: Partial<DriverSimStats>, s: DriverSimStats): void {
  const sum = into as Record<string, number>;
  for (const [k, v] of Object.entries(s)) sum[k] = (sum[k] ?? 0) + v;
}

/** What to print about a failed seed: the failure, how to replay it, its faults, its last events. */
export function describeFailure(r: DriverSimResult, traceLines = 60, flags = ''): string {
  const store = r.store === 'model' ? '' : ` --store ${r.store}`;
  return [
    `seed ${r.seed} (${r.store}): FAILED ${r.failure}`,
    `  replay: npm run sim -- --seed ${r.seed}${store}${flags} --trace`,
    '  fault schedule:',
    ...(r.faults.length > 0 ? r.faults : ['(none)']).map((f) => `    ${f}`),
    '  last events:',
    ...r.trace.slice(-traceLines).map((line) => `    ${line}`),
  ].join('\n');
}

/**
 * The driver simulation (test/sim/driver) from the command line:
 * --seeds N [--from S] [--store model|mvcc|both]   many seeds, with a progress line
 * --seed S [--store model|mvcc] [--trace]          one seed, replayed exactly
 * Extra: --fsync-lies (a broken disk, to see the checks catch it)
 */
export async function runDriver(args: Record<string, string>): Promise<number> {
  const overrides: Partial<DriverSimConfig> = {
    ...(args['fsync-lies'] ? { fsyncLies: true } : {}),
  };
  const flags = overrides.fsyncLies ? ' --fsync-lies' : '';
  const stores = storesOf(args.store ?? (args.seed !== undefined ? 'model' : 'both'));
  if (args.seed !== undefined) {
    const trace = args.trace === 'true';
    let failed = false;
    for (const store of stores) {
      const r = await runDriverSeed(Number(args.seed), { ...overrides, store, trace });
      if (trace) for (const line of r.trace) console.log(line);
      if (r.ok) console.log(`seed ${r.seed} (${store}): ok ${JSON.stringify(r.stats)}`);
      else {
        failed = true;
        console.log(describeFailure(r, trace ? 0 : 60, flags));
      }
    }
    return failed ? 1 : 0;
  }
  const count = Number(args.seeds ?? 20);
  const from = Number(args.from ?? 1);
  const started = Date.now();
  let failures = 0;
  let runs = 0;
  const totals: Partial<DriverSimStats> = {};
  for (let seed = from; seed < from + count; seed++) {
    for (const store of stores) {
      const r = await runDriverSeed(seed, { ...overrides, store });
      runs++;
      addStats(totals, r.stats);
      if (!r.ok) {
        failures++;
        console.log(describeFailure(r, 60, flags));
      }
      const line = `run ${runs}/${count * stores.length}  failures ${failures}  ops ${totals.completed}`;
      if (process.stdout.isTTY) process.stdout.write(`\r${line}`);
      else if (runs % 20 === 0) console.log(line);
    }
  }
  if (process.stdout.isTTY) process.stdout.write('\n');
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const t = totals as DriverSimStats;
  console.log(
    `${runs} runs (${count} seeds x ${stores.join('+')}) in ${secs}s: ${failures} failed. ` +
      `Per run on average: ${avg(t.completed, runs)} operations completed ` +
      `(${avg(t.readsCompleted, runs)} linearizable reads, ${avg(t.writesCompleted, runs)} writes), ` +
      `${avg(t.crashes, runs)} crashes (${avg(t.crashesMidWork, runs)} aimed at work under way), ` +
      `${avg(t.pauses, runs)} pauses, ${avg(t.partitions, runs)} partitions, ` +
      `${avg(t.slowDisks, runs)} slow disks, ${avg(t.messages, runs)} messages ` +
      `(${avg(t.dropped, runs)} dropped), ${avg(t.events, runs)} events. In all: ` +
      `${t.lostWrites + t.tornWrites} unsynced writes lost or torn, ${t.lostLevelBatches} LevelDB ` +
      `batches lost, ${t.snapshotsInstalled} snapshots installed, ${t.compactions} compactions, ` +
      `${t.readRetries} read rounds asked again, ${t.invariantChecks} invariant checks`,
  );
  return failures === 0 ? 0 : 1;
}

function storesOf(name: string): StoreKind[] {
  if (name === 'both') return ['model', 'mvcc'];
  if (name === 'model' || name === 'mvcc') return [name];
  throw new Error(`--store must be model, mvcc or both, not ${name}`);
}

function avg(total: number, runs: number): string {
  return (total / runs).toFixed(total / runs >= 100 ? 0 : 1);
}
