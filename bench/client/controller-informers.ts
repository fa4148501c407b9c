/**
 * What the controller manager's informer cache costs it: every controller of the build runs in a
 * process of its own (bench/client/controller-informers-child.ts) against an API server of this
 * process over loopback HTTP that holds N pods (created, then given a scheduler's status, so each
 * carries the two managedFields entries a pending pod has in a real cluster). For each cache
 * choice — `full` (managedFields kept, frozen: before), `lean` (stripped, frozen: production),
 * `lean-unfrozen` — it prints the time and CPU to sync, heapUsed and RSS once synced, and the
 * process CPU per pod update while this process relabels U pods. Printed, not asserted.
 *
 *   npx tsx bench/client/controller-informers.ts [--pods 10000] [--updates 2000] [--rounds 2]
 *     [--modes full,lean,lean-unfrozen]
 *   (CPU_PROF_DIR=dir writes each controller manager's CPU profile there)
 */
import type { KubeClient, Pod } from '@flotilla/client';
import { HttpTestServer, startTestApi } from '@flotilla/testing';
import { spawnBenchChild, type BenchChild } from './bench-child';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const PODS = arg('pods', 10_000);
const UPDATES = Math.min(arg('updates', 2000), PODS);
const ROUNDS = arg('rounds', 2);
const NS = 'bench';
const ALL_MODES = ['full', 'lean', 'lean-unfrozen'];
const MODES = process.argv.includes('--modes')
  ? process.argv[process.argv.indexOf('--modes') + 1].split(',')
  : ALL_MODES;
const CONCURRENCY = 16;

function pod(i: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${i}`, namespace: NS, labels: { app: `a${i % 50}`, gen: '0' } },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'busybox',
          resources: { requests: { cpu: '10m', memory: '16Mi' } },
          ports: [{ containerPort: 8080, name: 'http' }],
        },
      ],
    },
  } as Pod;
}

/** Runs `work(i)` for i in [0, n) with CONCURRENCY in flight. */
async function pool(n: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await work(next++);
    }),
  );
}

async function fill(client: KubeClient): Promise<void> {
  await client.namespaces().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  const pods = client.pods(NS);
  const t0 = performance.now();
  await pool(PODS, async (i) => {
    await pods.create(pod(i), { fieldManager: 'kubectl-client-side-apply' });
    await pods.patchStatus(
      `p${i}`,
      {
        status: {
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/0 nodes are available: no nodes available to schedule pods.',
              lastTransitionTime: '2026-12-07T14:00:00Z',
            },
          ],
        },
      },
      'merge',
      { fieldManager: 'default-scheduler' },
    );
  });
  const sample = await pods.get('p0');
  process.stdout.write(
    `${PODS} pods written in ${((performance.now() - t0) / 1000).toFixed(1)} s; each has ` +
      `${sample.metadata.managedFields?.length ?? 0} managedFields entries, ` +
      `${JSON.stringify(sample.metadata.managedFields).length} of its ${JSON.stringify(sample).length} JSON bytes\n`,
  );
}

function spawnChild(url: string, mode: string): BenchChild {
  return spawnBenchChild(
    'controller-informers-child.ts',
    [url, mode],
    `the ${mode} controller manager`,
  );
}

async function main(): Promise<void> {
  const api = await startTestApi();
  const http = await HttpTestServer.start(api.server);
  const summary: string[] = [];
  try {
    await fill(api.client);
    let gen = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? [...MODES] : [...MODES].reverse();
      for (const mode of order) {
        const child = spawnChild(http.url, mode);
        try {
          const s = await child.next();
          child.send('mark');
          await child.next();
          gen++;
          await pool(UPDATES, (i) =>
            api.client
              .pods(NS)
              .patch(`p${i}`, { metadata: { labels: { gen: String(gen) } } }, 'merge'),
          );
          child.send(`count ${UPDATES}`);
          const e = await child.next();
          const n = Math.max(1, Number(e.updates));
          const line =
            `round ${round} ${mode.padEnd(13)} sync ${(Number(s.syncMs) / 1000).toFixed(1)} s, ` +
            `${Number(s.syncCpuMs).toFixed(0)} ms CPU; synced heapUsed ${Number(s.heapMiB).toFixed(1)} MiB ` +
            `(+${Number(s.heapGrowthMiB).toFixed(1)}), RSS ${Number(s.rssMiB).toFixed(0)} MiB; ` +
            `${e.updates}/${UPDATES} pod updates: ${((Number(e.cpuMs) * 1000) / n).toFixed(0)} µs CPU each, ` +
            `then heapUsed ${Number(e.heapMiB).toFixed(1)} MiB, RSS ${Number(e.rssMiB).toFixed(0)} MiB`;
          summary.push(line);
          process.stdout.write(`${line}\n`);
        } finally {
          child.send('stop');
          const exited = new Promise((r) => child.proc.once('exit', r));
          const timer = setTimeout(() => child.proc.kill(), 10_000);
          await exited;
          clearTimeout(timer);
        }
      }
    }
    process.stdout.write(`\nsummary (${PODS} pods, ${UPDATES} updates)\n${summary.join('\n')}\n`);
  } finally {
    await http.close();
    await api.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
