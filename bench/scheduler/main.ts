/**
 * The scheduler through the real API of a three-master cluster (the built dist/, on loopback),
 * with hollow nodes in this process: 5000 pods on 1000 and on 5000 nodes, basic pods and a mix
 * with zone spread and required anti-affinity. Prints pods/s (first binding to last) beside the
 * rate pods were created at, and p50/p99 of each pod's latency from its create returning to its
 * binding seen on a watch; and the scheduler's own SLI histogram from the leader's /metrics.
 * Every phase is bounded in pods and seconds.
 *
 *   npm run bench:scheduler -- [--pods N] [--nodes 1000,5000] [--mix basic,spread] [--timeout S] [--cpu-prof DIR]
 */
import { resolve } from 'node:path';
import { connect, type KubeClient } from '@flotilla/client';
import { HollowFleet } from '../../apps/flotilla/src/hollow-nodes/hollow-fleet';
import type { HollowOptions } from '../../apps/flotilla/src/hollow-nodes/hollow-options';
import { MasterCluster } from '../../test/integration/support/master-cluster';
import { summarize } from '../apiserver/stats';
import { ensureBuilt } from '../kv/prerequisites';
import { benchPod } from './pods';

const USAGE = `Usage: npm run bench:scheduler -- [--pods N] [--nodes 1000,5000] [--mix basic,spread]
  [--timeout SECONDS] [--cpu-prof DIR]`;
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const arg = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const PODS = Number(arg('pods', '5000'));
const NODE_COUNTS = arg('nodes', '1000,5000').split(',').map(Number);
const MIXES = arg('mix', 'basic,spread').split(',');
const TIMEOUT_MS = Number(arg('timeout', '300')) * 1000;
const CPU_PROF_DIR = arg('cpu-prof', '');
const ZONES = 10;
const CREATE_CONCURRENCY = 64;

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '-');

async function sliQuantiles(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const buckets: [number, number][] = [];
  for (const line of text.split('\n')) {
    const m =
      /^scheduler_pod_scheduling_sli_duration_seconds_bucket\{.*le="([^"]+)".*\} (\d+)/.exec(line);
    if (m) buckets.push([m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2])]);
  }
  // Sum over the attempts label, then read the quantiles off the cumulative buckets.
  const byLe = new Map<number, number>();
  for (const [le, n] of buckets) byLe.set(le, (byLe.get(le) ?? 0) + n);
  const sorted = [...byLe].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return 'SLI histogram empty';
  const q = (p: number) => sorted.find(([, n]) => n >= p * total)?.[0] ?? Infinity;
  return `SLI (leader's histogram, bucket bounds) p50 <= ${q(0.5) * 1000} ms, p99 <= ${q(0.99) * 1000} ms over ${total} pods`;
}

async function runRound(
  client: KubeClient,
  mix: string,
  nodes: number,
  round: number,
): Promise<void> {
  const ns = client.pods('default');
  const createdAt = new Map<string, number>();
  const boundAt = new Map<string, number>();
  const start = await ns.list({ labelSelector: `bench=${round}`, limit: 1 });
  const watch = ns.watchResumable(
    { labelSelector: `bench=${round}`, resourceVersion: start.metadata.resourceVersion },
    (e) => {
      const name = e.object.metadata.name!;
      if (e.object.spec?.nodeName && !boundAt.has(name)) boundAt.set(name, performance.now());
    },
  );
  const t0 = performance.now();
  const deadline = t0 + TIMEOUT_MS;
  let next = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: CREATE_CONCURRENCY }, async () => {
      while (next < PODS && performance.now() < deadline) {
        const i = next++;
        try {
          await ns.create(benchPod(mix, round, i));
          createdAt.set(`p${round}-${i}`, performance.now());
        } catch {
          errors++;
        }
      }
    }),
  );
  const createSeconds = (performance.now() - t0) / 1000;
  while (boundAt.size < createdAt.size && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  watch.stop();
  const times = [...boundAt.values()];
  const first = Math.min(...times);
  const last = Math.max(...times);
  const latencies = [...boundAt]
    .filter(([n]) => createdAt.has(n))
    .map(([n, t]) => Math.max(0, t - createdAt.get(n)!));
  const s = summarize(latencies, errors, (last - first) / 1000);
  console.log(
    `${String(nodes).padStart(5)} nodes ${mix.padEnd(7)} ${String(boundAt.size).padStart(5)}/${createdAt.size} bound ` +
      `${fmt(boundAt.size / ((last - first) / 1000)).padStart(5)} pods/s (created at ${fmt(createdAt.size / createSeconds)}/s, ${errors} create errors) ` +
      `create->bound p50 ${fmt(s.p50)} ms p99 ${fmt(s.p99)} ms`,
  );
}

async function main(): Promise<void> {
  const root = resolve(__dirname, '../..');
  ensureBuilt(root);
  const cluster = await MasterCluster.start(
    3,
    [],
    'dist/apps/control-plane/main.js',
    CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${resolve(CPU_PROF_DIR)}`] : [],
  );
  const urls = cluster.names.map((n) => `http://127.0.0.1:${cluster.ports.get(n)!.api}`);
  const { client } = connect(urls, { component: 'bench-scheduler', rateLimit: false });
  const fleets: HollowFleet[] = [];
  try {
    await cluster.waitForApi();
    let registered = 0;
    let round = 0;
    for (const nodes of NODE_COUNTS) {
      if (nodes > registered) {
        const t = performance.now();
        const o: HollowOptions = {
          count: nodes - registered,
          cpu: '32',
          memory: '256Gi',
          pods: 110,
          labels: {},
          taints: [],
          zones: ZONES,
          namePrefix: `hollow${fleets.length}`,
          kubeconfig: '',
          // Kubelets renew every 10 s; 5000 of them would be 500 writes/s of the masters' time.
          leaseRenewMs: 60_000,
          concurrency: 64,
        };
        const fleet = new HollowFleet(client, o);
        await fleet.start();
        fleets.push(fleet);
        registered = nodes;
        console.log(
          `${nodes} hollow nodes registered (${((performance.now() - t) / 1000).toFixed(1)} s)`,
        );
      }
      for (const mix of MIXES) {
        round++;
        await runRound(client, mix, nodes, round);
        // Out of the way before the next round: deleted at once (the hollow kubelets would too).
        // Retried: a loaded cluster may be between Raft leaders (503) for a moment.
        for (let attempt = 0; ; attempt++) {
          try {
            await client
              .pods('default')
              .deleteCollection({ labelSelector: `bench=${round}` }, { gracePeriodSeconds: 0 });
            break;
          } catch (err) {
            if (attempt >= 20) throw err;
            await new Promise((r) => setTimeout(r, 500));
          }
        }
      }
    }
    const holder =
      (await client.leases('kube-system').get('kube-scheduler')).spec?.holderIdentity ?? '';
    const leader = holder.split('_')[0];
    if (cluster.names.includes(leader))
      console.log(await sliQuantiles(urls[cluster.names.indexOf(leader)]));
  } finally {
    // No fleet.stop(): the cluster goes away whole, and removing 5000 nodes one by one is slow.
    client.close();
    await cluster.shutdown();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
