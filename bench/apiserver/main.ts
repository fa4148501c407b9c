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
import { call, openWatch } from './http-client';
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

const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'bench' } },
  spec: { containers: [{ name: 'c', image: 'registry.local/app:1' }] },
});

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
  const bases = cluster.names.map((n) => `http://127.0.0.1:${cluster.ports.get(n)!.api}`);
  const base = (i: number) => bases[i % bases.length];
  try {
    for (let i = 0; i < 100; i++) {
      if ((await call(bases[0], 'GET', '/api/v1/namespaces/default')).status === 200) break;
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
      await call(bases[0], 'POST', '/api/v1/namespaces', { metadata: { name: ns } });
      const rvs = new Map<number, string>();
      const path = `/api/v1/namespaces/${ns}/configmaps`;
      const created = await closedLoop(c, MAX_OPS_PER_PHASE, async (i) => {
        const r = await call(base(i), 'POST', path, {
          metadata: { name: `cm-${i}` },
          data: { v: '0' },
        });
        if (r.status === 201) rvs.set(i, JSON.parse(r.body).metadata.resourceVersion);
        return r.status === 201;
      });
      report(`create   c=${c}`, created);
      const n = rvs.size;
      if (OPS.has('get'))
        report(
          `get      c=${c}`,
          await closedLoop(
            c,
            MAX_OPS_PER_PHASE,
            async (i) => (await call(base(i), 'GET', `${path}/cm-${i % n}`)).status === 200,
          ),
        );
      if (OPS.has('update'))
        report(
          `update   c=${c}`,
          await closedLoop(c, n, async (i) => {
            const r = await call(base(i), 'PUT', `${path}/cm-${i}`, {
              metadata: { name: `cm-${i}`, resourceVersion: rvs.get(i) },
              data: { v: '1' },
            });
            return r.status === 200;
          }),
        );
      if (OPS.has('list'))
        report(
          `list 100 c=${c}`,
          await closedLoop(
            c,
            2000,
            async (i) => (await call(base(i), 'GET', `${path}?limit=100`)).status === 200,
          ),
        );
    }

    if (PODS > 0) {
      // 10 000 pods, then lists of all of them: linearizable from the store, and resourceVersion=0 from the watch cache.
      await call(bases[0], 'POST', '/api/v1/namespaces', { metadata: { name: 'bench-pods' } });
      const podsPath = '/api/v1/namespaces/bench-pods/pods';
      const fill = Date.now();
      report(
        `create ${PODS} pods c=64`,
        await closedLoop(
          64,
          PODS,
          async (i) => {
            const r = await call(base(i), 'POST', podsPath, pod(`p-${i}`));
            return r.status === 201;
          },
          FILL_SECONDS,
        ),
      );
      const made = (
        JSON.parse((await call(bases[0], 'GET', `${podsPath}?resourceVersion=0`)).body)
          .items as unknown[]
      ).length;
      process.stdout.write(
        `created ${made} pods in ${((Date.now() - fill) / 1000).toFixed(1)} s\n`,
      );
      report(
        `list ${made} pods (latest)`,
        await closedLoop(1, 10, async (i) => (await call(base(i), 'GET', podsPath)).status === 200),
      );
      report(
        `list ${made} pods (rv=0, cache)`,
        await closedLoop(
          1,
          10,
          async (i) => (await call(base(i), 'GET', `${podsPath}?resourceVersion=0`)).status === 200,
        ),
      );
    }
    if (WATCHERS > 0) {
      // 1000 watchers on one namespace, spread over the masters; each change stamped with its send time.
      await call(bases[0], 'POST', '/api/v1/namespaces', { metadata: { name: 'bench-watch' } });
      const wpath = '/api/v1/namespaces/bench-watch/configmaps';
      const created = await call(bases[0], 'POST', wpath, {
        metadata: { name: 'hot' },
        data: { t: '0' },
      });
      let rv = JSON.parse(created.body).metadata.resourceVersion as string;
      const delivery: number[] = [];
      let received = 0;
      const closers: (() => void)[] = [];
      const stamp = /"t":"(\d+(?:\.\d+)?)"/;
      for (let w = 0; w < WATCHERS; w++) {
        closers.push(
          await openWatch(
            base(w),
            `${wpath}?watch=true&resourceVersion=${rv}&timeoutSeconds=120`,
            (line) => {
              const m = stamp.exec(line);
              if (!m || m[1] === '0') return;
              delivery.push(performance.now() + performance.timeOrigin - Number(m[1]));
              received++;
            },
          ),
        );
      }
      process.stdout.write(`${WATCHERS} watchers open\n`);
      const started = performance.now();
      for (let i = 0; i < CHANGES; i++) {
        const t = (performance.timeOrigin + performance.now()).toFixed(3);
        const r = await call(base(i), 'PUT', `${wpath}/hot`, {
          metadata: { name: 'hot', resourceVersion: rv },
          data: { t },
        });
        if (r.status === 200) rv = JSON.parse(r.body).metadata.resourceVersion;
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
    // A profile is written when a master exits on its own (SIGTERM), not when it is killed.
    if (CPU_PROF_DIR) for (const name of cluster.names) await cluster.stop(name);
    await cluster.shutdown();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
