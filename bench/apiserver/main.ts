/**
 * The Kubernetes API of a three-master Flotilla cluster (the built dist/, on loopback):
 * create, get, list, update and watch at concurrency 1, 16 and 64; a list of 10 000 pods; 1000
 * watchers receiving each change. Prints p50/p99 latency and throughput. Every phase is bounded
 * in operations and in seconds.
 *
 *   npx tsx bench/apiserver/main.ts [--seconds S] [--pods N] [--fill-seconds S] [--watchers N] [--changes N]
 *     [--concurrency 1,16,64] [--ops create,get,update,list] [--cpu-prof DIR]
 *
 * --cpu-prof writes each master's V8 CPU profile into DIR when the cluster stops (read them with
 * `npx tsx bench/kv/cpu-profile-top.ts FILE`); --pods 0 and --watchers 0 skip those phases.
 */
import { resolve } from 'node:path';
import { MasterCluster } from '../../test/integration/support/master-cluster';
import { ensureBuilt } from '../kv/prerequisites';
import { ConfigMap, connect, KubeClient, Pod } from '@flotilla/client';
import { row, summarize, Summary } from './stats';

const USAGE = `Usage: npx tsx bench/apiserver/main.ts [--seconds S] [--pods N] [--fill-seconds S]
  [--watchers N] [--changes N] [--concurrency 1,16,64] [--ops create,get,update,list] [--cpu-prof DIR]
  --pods 0 and --watchers 0 skip those phases; --cpu-prof writes each master's CPU profile into DIR`;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

function textArg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const PHASE_SECONDS = arg('seconds', 5);
const PODS = arg('pods', 10_000);
const WATCHERS = arg('watchers', 1000);
const CHANGES = arg('changes', 100);
const CONCURRENCY = textArg('concurrency', '1,16,64').split(',').map(Number);
const OPS = new Set(textArg('ops', 'create,get,update,list').split(','));
const CPU_PROF_DIR = textArg('cpu-prof', '');
const MAX_OPS_PER_PHASE = 20_000;
/** Bound on filling the namespace with PODS pods. */
const FILL_SECONDS = arg('fill-seconds', 120);

const pod = (name: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'bench' } },
  spec: { containers: [{ name: 'c', image: 'registry.local/app:1' }] },
});

/** True when the call succeeded (an ApiError or a connection failure counts as an error). */
const ok = (p: Promise<unknown>): Promise<boolean> =>
  p.then(
    () => true,
    () => false,
  );

/** Runs `op(i)` from `concurrency` workers until `count` ops or the time limit; latency per op. */
async function closedLoop(
  concurrency: number,
  count: number,
  op: (i: number, worker: number) => Promise<boolean>,
  seconds = PHASE_SECONDS,
): Promise<Summary> {
  const ms: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < count && performance.now() < deadline) {
        const i = next++;
        const t = performance.now();
        try {
          if (await op(i, worker)) ms.push(performance.now() - t);
          else errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return summarize(ms, errors, (performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  // The masters run as users run them: the built bundle (`flotilla up`, the images).
  ensureBuilt(resolve(__dirname, '../..'));
  process.stdout.write('starting three masters (dist/)...\n');
  const cluster = await MasterCluster.start(
    3,
    [],
    'dist/apps/control-plane/main.js',
    CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${resolve(CPU_PROF_DIR)}`] : [],
  );
  // One client per master, pinned to it (the load is spread by hand), no rate limit, a pool
  // large enough for the highest concurrency.
  const clients: KubeClient[] = cluster.names.map(
    (n) =>
      connect([`http://127.0.0.1:${cluster.ports.get(n)!.api}`], {
        component: 'bench-apiserver',
        rateLimit: false,
        maxSockets: 256,
        maxFreeSockets: 256,
      }).client,
  );
  const on = (i: number) => clients[i % clients.length];
  try {
    for (let i = 0; i < 100; i++) {
      if (await ok(clients[0].namespaces().get('default'))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const lines: string[] = [];
    const report = (name: string, s: Summary) => {
      const line = row(name, s);
      lines.push(line);
      process.stdout.write(`${line}\n`);
    };

    for (const c of CONCURRENCY) {
      const ns = `bench-c${c}`;
      await clients[0].namespaces().create({ metadata: { name: ns } });
      const rvs = new Map<number, string>();
      const created = await closedLoop(c, MAX_OPS_PER_PHASE, async (i) => {
        const made = await on(i)
          .configMaps(ns)
          .create({ metadata: { name: `cm-${i}` }, data: { v: '0' } })
          .catch(() => undefined);
        if (made) rvs.set(i, made.metadata.resourceVersion!);
        return made !== undefined;
      });
      report(`create   c=${c}`, created);
      const n = rvs.size;
      if (OPS.has('get'))
        report(
          `get      c=${c}`,
          await closedLoop(c, MAX_OPS_PER_PHASE, (i) =>
            ok(
              on(i)
                .configMaps(ns)
                .get(`cm-${i % n}`),
            ),
          ),
        );
      if (OPS.has('update'))
        report(
          `update   c=${c}`,
          await closedLoop(c, n, (i) =>
            ok(
              on(i)
                .configMaps(ns)
                .update({
                  metadata: { name: `cm-${i}`, resourceVersion: rvs.get(i) },
                  data: { v: '1' },
                } as ConfigMap),
            ),
          ),
        );
      if (OPS.has('list'))
        report(
          `list 100 c=${c}`,
          await closedLoop(c, 2000, (i) => ok(on(i).configMaps(ns).list({ limit: 100 }))),
        );
    }

    if (PODS > 0) {
      // 10 000 pods, then lists of all of them: linearizable from the store, and resourceVersion=0 from the watch cache.
      await clients[0].namespaces().create({ metadata: { name: 'bench-pods' } });
      const fill = Date.now();
      report(
        `create ${PODS} pods c=64`,
        await closedLoop(
          64,
          PODS,
          (i) =>
            ok(
              on(i)
                .pods('bench-pods')
                .create(pod(`p-${i}`)),
            ),
          FILL_SECONDS,
        ),
      );
      const made = (await clients[0].pods('bench-pods').list({ resourceVersion: '0' })).items
        .length;
      process.stdout.write(
        `created ${made} pods in ${((Date.now() - fill) / 1000).toFixed(1)} s\n`,
      );
      report(
        `list ${made} pods (latest)`,
        await closedLoop(1, 10, (i) => ok(on(i).pods('bench-pods').list())),
      );
      report(
        `list ${made} pods (rv=0, cache)`,
        await closedLoop(1, 10, (i) => ok(on(i).pods('bench-pods').list({ resourceVersion: '0' }))),
      );
    }
    if (WATCHERS > 0) {
      // 1000 watchers on one namespace, spread over the masters; each change stamped with its send time.
      await clients[0].namespaces().create({ metadata: { name: 'bench-watch' } });
      const hot = (i: number) => on(i).configMaps('bench-watch');
      const created = await hot(0).create({ metadata: { name: 'hot' }, data: { t: '0' } });
      let rv = created.metadata.resourceVersion!;
      const delivery: number[] = [];
      let received = 0;
      const closers: (() => void)[] = [];
      for (let w = 0; w < WATCHERS; w++) {
        const watch = await hot(w).watch({ resourceVersion: rv, timeoutSeconds: 120 }, (e) => {
          const t = e.object.data?.t;
          if (!t || t === '0') return;
          delivery.push(performance.now() + performance.timeOrigin - Number(t));
          received++;
        });
        closers.push(() => watch.stop());
      }
      process.stdout.write(`${WATCHERS} watchers open\n`);
      const started = performance.now();
      for (let i = 0; i < CHANGES; i++) {
        const t = (performance.timeOrigin + performance.now()).toFixed(3);
        const updated = await hot(i)
          .update({ metadata: { name: 'hot', resourceVersion: rv }, data: { t } } as ConfigMap)
          .catch(() => undefined);
        if (updated) rv = updated.metadata.resourceVersion!;
        await new Promise((res) => setTimeout(res, 20));
      }
      const expected = WATCHERS * CHANGES;
      for (let i = 0; i < 200 && received < expected; i++)
        await new Promise((r) => setTimeout(r, 50));
      for (const close of closers) close();
      report(
        `watch delivery (${WATCHERS} watchers)`,
        summarize(delivery, expected - received, (performance.now() - started) / 1000),
      );
      process.stdout.write(`delivered ${received} of ${expected} events\n`);
    }
    process.stdout.write(`\nsummary\n${lines.join('\n')}\n`);
  } finally {
    for (const c of clients) c.close();
    // A profile is written when a master exits on its own (SIGTERM), not when it is killed.
    if (CPU_PROF_DIR) for (const name of cluster.names) await cluster.stop(name);
    await cluster.shutdown();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
