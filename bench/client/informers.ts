/**
 * Informers side by side: @flotilla/client's SharedInformer and @kubernetes/client-node's
 * makeInformer, each in its own process (node --expose-gc), over the same pods on the same
 * master of a three-master cluster (the built dist/). Prints, for each: the initial sync of N pods
 * (wall time, CPU, cache heap, RSS) and the main thread's busy time per watch event while all
 * watch the same burst of updates (the events/s one event loop could take = 1e6 / that in µs). Rounds alternate which informer
 * starts first. Printed, not asserted; every phase is bounded.
 *
 *   npx tsx bench/client/informers.ts [--pods 10000] [--updates 5000] [--rounds 2]
 *   (CPU_PROF_DIR=dir writes each informer process's CPU profile there)
 */
import { resolve } from 'node:path';
import { connectFromKubeconfig, type KubeClient, type Pod } from '@flotilla/client';
import { MasterCluster } from '../../test/integration/support/master-cluster';
import { ensureBuilt } from '../kv/prerequisites';
import { spawnBenchChild, type BenchChild } from './bench-child';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const PODS = arg('pods', 10_000);
const UPDATES = arg('updates', 5000);
const ROUNDS = arg('rounds', 2);
const NS = 'bench-informers';
const LIBS = ['ours', 'ours-lean', 'ours-protobuf', 'client-node'] as const;
type Lib = (typeof LIBS)[number];

interface Child extends BenchChild {
  lib: Lib;
}

function spawnChild(lib: Lib, kubeconfig: string): Child {
  const args = [lib, kubeconfig, 'flotilla-m1', NS];
  return { lib, ...spawnBenchChild('informer-child.ts', args, `${lib} informer`) };
}

async function fill(client: KubeClient): Promise<void> {
  await client.namespaces().create({ metadata: { name: NS } });
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < PODS) {
        const i = next++;
        await client.pods(NS).create({
          metadata: { name: `p${i}`, labels: { app: `a${i % 50}`, gen: '0' } },
          spec: {
            containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '10m' } } }],
          },
        } as Pod);
      }
    }),
  );
}

async function burst(client: KubeClient, round: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < UPDATES) {
        const i = next++;
        await client
          .pods(NS)
          .patch(`p${i % PODS}`, { metadata: { labels: { gen: `${round}-${i}` } } }, 'merge');
      }
    }),
  );
  return performance.now() - started;
}

const fmt = (n: number, d = 0) => n.toFixed(d);

async function main(): Promise<void> {
  ensureBuilt(resolve(__dirname, '../..'));
  process.stdout.write('starting three masters (dist/)...\n');
  const cluster = await MasterCluster.start(3, [], 'dist/apps/control-plane/main.js');
  const { client } = connectFromKubeconfig({
    kubeconfig: cluster.kubeconfig,
    context: 'flotilla-m1',
    component: 'bench-writer',
    rateLimit: false,
    maxSockets: 32,
  });
  const summary: string[] = [];
  try {
    await cluster.waitForApi();
    const t = performance.now();
    await fill(client);
    process.stdout.write(`created ${PODS} pods in ${fmt((performance.now() - t) / 1000, 1)} s\n`);
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? [...LIBS] : [...LIBS].reverse();
      const children: Child[] = [];
      try {
        for (const lib of order) {
          const c = spawnChild(lib, cluster.kubeconfig);
          children.push(c);
          const s = await c.next();
          summary.push(
            `round ${round} ${lib.padEnd(13)} initial sync of ${s.objects} pods: ${fmt(Number(s.syncMs))} ms wall, ` +
              `${fmt(Number(s.syncCpuMs))} ms CPU, cache heap ${fmt(Number(s.heapMiB), 1)} MiB, RSS ${fmt(Number(s.rssMiB))} MiB`,
          );
          process.stdout.write(`${summary[summary.length - 1]}\n`);
        }
        for (const c of children) {
          c.send('mark');
          await c.next();
        }
        const ms = await burst(client, round);
        for (const c of children) c.send(`count ${UPDATES}`);
        for (const c of children) {
          const e = await c.next();
          const n = Math.max(1, Number(e.updates));
          const perEvent = (Number(e.loopMs) * 1000) / n;
          summary.push(
            `round ${round} ${c.lib.padEnd(13)} ${e.updates}/${UPDATES} updates (written in ${fmt(ms)} ms): ` +
              `${fmt(perEvent, 1)} µs of event loop per event (~${fmt(1e6 / perEvent)} events/s), ` +
              `${fmt((Number(e.cpuMs) * 1000) / n, 1)} µs process CPU`,
          );
          process.stdout.write(`${summary[summary.length - 1]}\n`);
        }
      } finally {
        // A child asked to stop exits by itself (writing its profile); a stuck one is killed.
        for (const c of children) {
          c.send('stop');
          const exited = new Promise((r) => c.proc.once('exit', r));
          const timer = setTimeout(() => c.proc.kill(), 5000);
          await exited;
          clearTimeout(timer);
        }
      }
    }
    process.stdout.write(`\nsummary\n${summary.join('\n')}\n`);
  } finally {
    client.close();
    await cluster.shutdown();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
