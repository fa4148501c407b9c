import { SimConfig, configForSeed } from './config';
import { shrinkSteps } from './shrink';
import { World, SimResult } from './world';

/**
 * The pure-core simulation (test/sim/core), behind `npm run sim -- --core`:
 * --seeds 1000 [--from S]   many seeds, with a progress line
 * --seed S [--trace]        replay one seed exactly
 * Extra: --steps N, --unsafe commitPriorTerm|skipVoteLogCheck
 */
export function runCore(args: Record<string, string>): number {
  const overrides = {
    ...(args.steps ? { steps: Number(args.steps) } : {}),
    ...(args.unsafe ? { raft: { unsafe: unsafeSwitch(args.unsafe) } } : {}),
  };
  if (args.seed !== undefined) {
    const result = new World(
      configForSeed(Number(args.seed), { ...overrides, trace: args.trace === 'true' }),
    ).run();
    if (args.trace === 'true') for (const line of result.trace) console.log(line);
    report(result, overrides);
    return result.ok ? 0 : 1;
  }
  const count = Number(args.seeds ?? 100);
  const from = Number(args.from ?? 1);
  const totals = {
    ops: 0,
    completed: 0,
    crashes: 0,
    partitions: 0,
    dropped: 0,
    duplicated: 0,
    checks: 0,
    snapshots: 0,
    conf: 0,
  };
  const started = Date.now();
  let failures = 0;
  for (let seed = from; seed < from + count; seed++) {
    const result = new World(configForSeed(seed, overrides)).run();
    totals.ops += result.stats.operations;
    totals.completed += result.stats.completed;
    totals.crashes += result.stats.crashes;
    totals.partitions += result.stats.partitions;
    totals.dropped += result.stats.dropped;
    totals.duplicated += result.stats.duplicated;
    totals.checks += result.stats.invariantChecks;
    totals.snapshots += result.stats.snapshotsSent;
    totals.conf += result.stats.membershipChanges;
    if (!result.ok) {
      failures++;
      report(result, overrides);
    }
    if (process.stdout.isTTY) {
      process.stdout.write(
        `\rseed ${seed - from + 1}/${count}  failures ${failures}  ops ${totals.ops}`,
      );
    } else if ((seed - from + 1) % 100 === 0) {
      console.log(`seed ${seed - from + 1}/${count}  failures ${failures}  ops ${totals.ops}`);
    }
  }
  if (process.stdout.isTTY) process.stdout.write('\n');
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `${count} seeds in ${secs}s: ${failures} failed; ${totals.ops} client operations (${totals.completed} completed), ` +
      `${totals.crashes} crashes, ${totals.partitions} partitions, ${totals.dropped} messages dropped, ` +
      `${totals.duplicated} duplicated, ${totals.snapshots} snapshot chunks, ${totals.conf} membership changes proposed, ` +
      `${totals.checks} invariant checks`,
  );
  return failures === 0 ? 0 : 1;
}

function report(r: SimResult, overrides: Partial<SimConfig> = {}): void {
  if (r.ok) {
    console.log(`seed ${r.seed}: ok`, JSON.stringify(r.stats));
    return;
  }
  console.log(`seed ${r.seed}: FAILED ${r.failure}`);
  console.log(`  replay: npm run sim -- --core --seed ${r.seed} --trace`);
  const short = overrides.steps === undefined ? shrinkSteps(r.seed, overrides) : undefined;
  if (short) {
    console.log(
      `  shortest failing run found: ${short.steps} chaos ticks (${short.result.failure})`,
    );
    console.log(
      `  replay it: npm run sim -- --core --seed ${r.seed} --steps ${short.steps} --trace`,
    );
  }
  console.log('  last events:');
  for (const line of (short?.result.trace ?? r.trace).slice(-40)) console.log(`    ${line}`);
}

function unsafeSwitch(name: string) {
  if (name === 'commitPriorTerm') return { commitPriorTermByCounting: true };
  if (name === 'skipVoteLogCheck') return { skipVoteLogCheck: true };
  throw new Error(`unknown --unsafe switch ${name}`);
}
