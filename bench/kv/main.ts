// Flotilla vs etcd 3.4, side by side on this machine: the harness starts a three-member cluster of
// each on loopback (data on the same disk), drives both with one etcd v3 client, alternating
// A B A B per workload, prints a table per workload and writes bench/results/<date>.json.
// Run: npm run bench:kv [-- --full] (see options.ts for --cpu-prof, --only, --systems).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { BenchCluster } from './cluster';
import { etcdMembers } from './etcd-members';
import { flotillaMembers } from './flotilla-members';
import { parseOptions } from './options';
import { ensureBuilt, ensureEtcd } from './prerequisites';
import { runSuite } from './suite';
import { TIMING } from './timing';

const REPO_ROOT = resolve(__dirname, '../..');
const RESULTS_DIR = join(REPO_ROOT, 'bench/results');
const STOP_GRACE_MS = 15_000;
/** Past the profile's limit, the watchdog tears everything down whatever is still running. */
const WATCHDOG_SLACK_MS = 120_000;

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const startedAt = new Date();
  const deadline = Date.now() + options.profile.totalLimitMs;
  const etcdVersion = options.systems.some((s) => s.startsWith('etcd')) ? ensureEtcd() : 'not run';
  if (options.systems.some((s) => s.startsWith('flotilla'))) ensureBuilt(REPO_ROOT);

  const dataRoot = join(REPO_ROOT, 'data/bench', `run-${process.pid}-${startedAt.getTime()}`);
  mkdirSync(dataRoot, { recursive: true });
  const profDir = join(RESULTS_DIR, 'prof');
  if (options.cpuProf) mkdirSync(profDir, { recursive: true });
  const clusters: BenchCluster[] = [];
  let cleanedUp = false;
  const cleanupNow = (): void => {
    if (cleanedUp) return;
    cleanedUp = true;
    for (const c of clusters) c.killAllNow();
    rmSync(dataRoot, { recursive: true, force: true });
  };
  process.once('exit', cleanupNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping both clusters`);
      cleanupNow();
      process.exit(130);
    });
  }
  const watchdog = setTimeout(() => {
    console.error('global time limit exceeded: stopping both clusters');
    cleanupNow();
    process.exit(3);
  }, options.profile.totalLimitMs + WATCHDOG_SLACK_MS);
  watchdog.unref();

  console.log(
    `bench:kv ${options.profile.name} profile: ${options.systems.join(' vs ')}, 3 members each, ` +
      `heartbeat ${TIMING.heartbeatMs} ms, election ${TIMING.electionMs} ms, ${etcdVersion}`,
  );
  try {
    for (const system of options.systems) {
      const tls = system.endsWith('-tls');
      const specs = system.startsWith('flotilla')
        ? await flotillaMembers(REPO_ROOT, dataRoot, options.cpuProf ? profDir : undefined, tls)
        : await etcdMembers(dataRoot, tls);
      const cluster = new BenchCluster(system, specs);
      clusters.push(cluster);
      const t0 = Date.now();
      await cluster.start();
      console.log(`${system} ready in ${Date.now() - t0} ms (${cluster.endpoints.join(', ')})`);
    }
    const profiledLeader = options.cpuProf
      ? await clusters.find((c) => c.system === 'flotilla')?.leaderIndex()
      : undefined;
    const flotilla = clusters.find((c) => c.system === 'flotilla');
    const leaderPid =
      profiledLeader === undefined ? undefined : flotilla?.members[profiledLeader].pid;

    const suite = await runSuite(clusters, options, deadline);

    const file = join(
      RESULTS_DIR,
      `${startedAt.toISOString().replace(/:/g, '-').replace(/\..*$/, '')}.json`,
    );
    mkdirSync(RESULTS_DIR, { recursive: true });
    const document = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      profile: options.profile,
      only: options.only,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        memMiB: Math.round(totalmem() / 2 ** 20),
        node: process.version,
      },
      etcdVersion,
      timing: TIMING,
      cpuProfile: options.cpuProf ? { dir: profDir, leaderPid } : undefined,
      workloads: suite.rows,
    };
    writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
    console.log(`\nresults written to ${file}`);
    if (leaderPid !== undefined)
      console.log(`cpu profiles in ${profDir}; the leader was pid ${leaderPid}`);
  } finally {
    // Graceful stop so node writes its --cpu-prof files; then everything goes.
    await Promise.all(clusters.map((c) => c.stop(STOP_GRACE_MS)));
    cleanupNow();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
