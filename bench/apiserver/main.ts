/**
 * The Kubernetes API of a three-master Flotilla cluster (the built dist/, on loopback):
 * create, get, list, update and watch at concurrency 1, 16 and 64; a list of 10 000 pods; 1000
 * watchers receiving each change. Prints p50/p99 latency and throughput. Every phase is bounded
 * in operations and in seconds.
 *
 * The request phases run on an insecure cluster (plain HTTP, everything allowed) and on a secure
 * one (HTTPS, the admin's client certificate, authentication and Node,RBAC authorization,
 * Secrets encrypted at rest, as `flotilla up` runs by default), and a table puts the two side by
 * side with the cost of security; the pod list and watch phases run on the first mode only.
 *
 *   npx tsx bench/apiserver/main.ts [--seconds S] [--pods N] [--fill-seconds S] [--watchers N] [--changes N]
 *     [--concurrency 1,16,64] [--ops create,get,update,list] [--modes insecure,secure,secure-no-audit]
 *     [--cpu-prof DIR]
 *
 * --cpu-prof writes each master's V8 CPU profile into DIR when the cluster stops (read them with
 * `npx tsx bench/kv/cpu-profile-top.ts FILE`); --pods 0 and --watchers 0 skip those phases.
 */
import { resolve } from 'node:path';
import { MasterCluster } from '../../test/integration/support/master-cluster';
import { ensureBuilt } from '../kv/prerequisites';
import { ConfigMap, connect, connectFromKubeconfig, KubeClient, Pod } from '@flotilla/client';
import { readCpuTicks, CLOCK_TICKS_PER_SECOND } from '../kv/usage-sampler';
import { DEFAULT_AUDIT_POLICY } from '../../apps/flotilla/src/up/default-audit-policy';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuPerOp, CpuSpent, row, summarize, Summary } from './stats';

const USAGE = `Usage: npx tsx bench/apiserver/main.ts [--seconds S] [--pods N] [--fill-seconds S]
  [--watchers N] [--changes N] [--concurrency 1,16,64] [--ops create,get,update,list]
  [--modes insecure,secure,secure-no-audit] [--cpu-prof DIR]
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
/**
 * insecure: plain HTTP, everything allowed. secure: as `flotilla up` runs a master (TLS on
 * every port, x509 client certificates, Node,RBAC, Secrets encrypted, the default audit
 * policy). secure-no-audit: the same without the audit log, to see what auditing costs.
 */
const ALL_MODES = ['insecure', 'secure', 'secure-no-audit'] as const;
type Mode = (typeof ALL_MODES)[number];
const MODES = textArg('modes', 'insecure,secure').split(',') as Mode[];
for (const m of MODES) {
  if (!ALL_MODES.includes(m)) {
    console.error(`unknown mode ${JSON.stringify(m)}\n${USAGE}`);
    process.exit(2);
  }
}
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

/** CPU milliseconds so far: the target's masters (from /proc) and this process. */
function cpuNow(t: Target | undefined): CpuSpent {
  let ticks = 0;
  for (const p of t?.cluster.processes.values() ?? []) ticks += readCpuTicks(p.pid) ?? 0;
  const own = process.cpuUsage();
  return {
    serverMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND,
    clientMs: (own.user + own.system) / 1000,
  };
}

/**
 * Runs `op(i)` from `concurrency` workers until `count` ops or the time limit; latency per op,
 * and with a target the CPU its masters and this client spent meanwhile.
 */
async function closedLoop(
  concurrency: number,
  count: number,
  op: (i: number, worker: number) => Promise<boolean>,
  seconds = PHASE_SECONDS,
  target?: Target,
): Promise<Summary> {
  const cpuBefore = cpuNow(target);
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
  const summary = summarize(ms, errors, (performance.now() - started) / 1000);
  if (!target) return summary;
  const cpuAfter = cpuNow(target);
  const background = target.idleCpuMsPerSecond * summary.seconds;
  return {
    ...summary,
    cpu: {
      serverMs: Math.max(0, cpuAfter.serverMs - cpuBefore.serverMs - background),
      clientMs: cpuAfter.clientMs - cpuBefore.clientMs,
    },
  };
}

interface Target {
  mode: Mode;
  cluster: MasterCluster;
  clients: KubeClient[];
  on: (i: number) => KubeClient;
  /**
   * CPU milliseconds per second the masters spend with no requests (Raft heartbeats, leases,
   * controllers): taken out of each phase's CPU, so CPU per request does not grow merely
   * because fewer requests shared the background.
   */
  idleCpuMsPerSecond: number;
}

/** `flotilla up`'s audit policy in a file of its own (each master logs to DATA/audit.log). */
function defaultAuditPolicyFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bench-apiserver-audit-')), 'audit-policy.yaml');
  writeFileSync(file, DEFAULT_AUDIT_POLICY);
  return file;
}

/** Three masters of one mode and one pinned client per master. */
async function startTarget(mode: Mode): Promise<Target> {
  process.stdout.write(`starting three ${mode} masters (dist/)...\n`);
  const secure = mode !== 'insecure';
  const cluster = await MasterCluster.start(
    3,
    mode === 'secure' ? ['--audit-policy-file', defaultAuditPolicyFile()] : [],
    'dist/apps/control-plane/main.js',
    CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${resolve(CPU_PROF_DIR, mode)}`] : [],
    { secure },
  );
  // One client per master, pinned to it (the load is spread by hand), no rate limit, a pool
  // large enough for the highest concurrency; in the secure mode as the admin (a client
  // certificate over HTTPS), through the kubeconfig flotilla up would write.
  const pool = {
    component: 'bench-apiserver',
    rateLimit: false as const,
    maxSockets: 256,
    maxFreeSockets: 256,
  };
  const clients: KubeClient[] = cluster.names.map((n) =>
    secure
      ? connectFromKubeconfig({
          ...pool,
          kubeconfig: cluster.kubeconfig,
          context: `flotilla-${n}`,
          failover: 'none',
        }).client
      : connect([`http://127.0.0.1:${cluster.ports.get(n)!.api}`], pool).client,
  );
  for (let i = 0; i < 100; i++) {
    if (await ok(clients[0].namespaces().get('default'))) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    mode,
    cluster,
    clients,
    on: (i) => clients[i % clients.length],
    idleCpuMsPerSecond: 0,
  };
}

async function stopTarget(t: Target): Promise<void> {
  for (const c of t.clients) c.close();
  // A profile is written when a master exits on its own (SIGTERM), not when it is killed.
  if (CPU_PROF_DIR) for (const name of t.cluster.names) await t.cluster.stop(name);
  await t.cluster.shutdown();
}

/** How long the masters' background CPU is sampled, with no requests. */
const IDLE_SAMPLE_MS = 3000;

/** Rounds per request phase and mode, alternating A B A B so drift hits both modes alike. */
const ROUNDS = 2;

async function main(): Promise<void> {
  // The masters run as users run them: the built bundle (`flotilla up`, the images).
  ensureBuilt(resolve(__dirname, '../..'));
  const targets: Target[] = [];
  const lines: string[] = [];
  const byMode = new Map<Mode, Map<string, Summary>>(MODES.map((m) => [m, new Map()]));
  const report = (mode: Mode, name: string, s: Summary) => {
    const line = row(`${mode.padEnd(15)} ${name}`, s);
    lines.push(line);
    byMode.get(mode)!.set(name, s);
    process.stdout.write(`${line}\n`);
  };
  try {
    for (const mode of MODES) targets.push(await startTarget(mode));
    // Warm-up: connections (TLS handshakes), JIT, caches, on every target alike.
    for (const t of targets) {
      await t.clients[0].namespaces().create({ metadata: { name: 'bench-warmup' } });
      await closedLoop(16, 1000, (i) =>
        ok(
          t
            .on(i)
            .configMaps('bench-warmup')
            .create({ metadata: { name: `w-${i}` } }),
        ),
      );
    }
    for (const t of targets) {
      const before = cpuNow(t);
      await new Promise((r) => setTimeout(r, IDLE_SAMPLE_MS));
      t.idleCpuMsPerSecond = ((cpuNow(t).serverMs - before.serverMs) * 1000) / IDLE_SAMPLE_MS;
      process.stdout.write(
        `${t.mode}: masters idle at ${t.idleCpuMsPerSecond.toFixed(0)} ms CPU per second\n`,
      );
    }
    for (const c of CONCURRENCY) await requestPhases(targets, c, report);
    const first = targets[0];
    await bulkPhases(first, (name, s) => report(first.mode, name, s));
    process.stdout.write(`\nsummary\n${lines.join('\n')}\n`);
    for (const mode of MODES)
      if (mode !== 'insecure' && byMode.has('insecure'))
        process.stdout.write(`\n${sideBySide(byMode, mode)}\n`);
  } finally {
    for (const t of targets) await stopTarget(t);
  }
}

/**
 * Throughput, p99 and CPU per request of each phase, insecure vs a secure mode, and what
 * security costs: throughput lost, and the masters' CPU per request gained (steadier than
 * throughput on a loaded machine: other processes take cores, not CPU time per request).
 */
function sideBySide(byMode: Map<Mode, Map<string, Summary>>, mode: Mode): string {
  const plain = byMode.get('insecure')!;
  const secure = byMode.get(mode)!;
  const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  const pct = (n: number) => `${f(n, 1)}%`;
  const out = [
    `${'phase'.padEnd(16)} ${'insecure /s'.padStart(11)} ${'secure /s'.padStart(10)} ${'cost'.padStart(6)}   ${'p99 insecure'.padStart(12)} ${'p99 secure'.padStart(10)}   ${'masters CPU us/op'.padStart(18)} ${'cost'.padStart(6)}   ${'client us/op'.padStart(12)}`,
  ];
  for (const [name, a] of plain) {
    const b = secure.get(name);
    if (!b) continue;
    const cost = a.perSecond > 0 ? (1 - b.perSecond / a.perSecond) * 100 : Number.NaN;
    const [ca, cb] = [cpuPerOp(a, 'serverMs'), cpuPerOp(b, 'serverMs')];
    const cpuCost = (cb / ca - 1) * 100;
    const client = `${f(cpuPerOp(a, 'clientMs'))} → ${f(cpuPerOp(b, 'clientMs'))}`;
    out.push(
      `${name.padEnd(16)} ${f(a.perSecond).padStart(11)} ${f(b.perSecond).padStart(10)} ${pct(cost).padStart(6)}   ${`${f(a.p99, 1)} ms`.padStart(12)} ${`${f(b.p99, 1)} ms`.padStart(10)}   ${`${f(ca)} → ${f(cb)}`.padStart(18)} ${pct(cpuCost).padStart(6)}   ${client.padStart(12)}`,
    );
  }
  const what =
    mode === 'secure'
      ? 'HTTPS, x509 client certificate, Node,RBAC, Secrets encrypted at rest, audit at Metadata, mutual TLS between masters'
      : 'as secure, without the audit log';
  return (
    `insecure (plain HTTP, everything allowed) vs ${mode} (${what}); ` +
    `cost = throughput lost, CPU cost = masters' CPU per request added\n${out.join('\n')}`
  );
}

/** create, get, update and list at concurrency c, each in ROUNDS slices per target, alternating. */
async function requestPhases(
  targets: Target[],
  c: number,
  report: (mode: Mode, name: string, s: Summary) => void,
): Promise<void> {
  const ns = `bench-c${c}`;
  const rvs = new Map<Target, Map<number, string>>();
  for (const t of targets) {
    await t.clients[0].namespaces().create({ metadata: { name: ns } });
    rvs.set(t, new Map());
  }
  const slice = PHASE_SECONDS / ROUNDS;
  const alternate = async (
    name: string,
    count: (t: Target) => number,
    op: (t: Target, i: number) => Promise<boolean>,
  ) => {
    const parts = new Map<Target, Summary[]>(targets.map((t) => [t, []]));
    const offsets = new Map<Target, number>(targets.map((t) => [t, 0]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const t of targets) {
        const base = offsets.get(t)!;
        const left = count(t) - base;
        if (left <= 0) continue;
        let used = 0;
        const s = await closedLoop(
          c,
          left,
          (i) => {
            used = Math.max(used, i + 1);
            return op(t, base + i);
          },
          slice,
          t,
        );
        offsets.set(t, base + used);
        parts.get(t)!.push(s);
      }
    }
    for (const t of targets) report(t.mode, name, merge(parts.get(t)!));
  };
  await alternate(
    `create   c=${c}`,
    () => MAX_OPS_PER_PHASE,
    async (t, i) => {
      const made = await t
        .on(i)
        .configMaps(ns)
        .create({ metadata: { name: `cm-${i}` }, data: { v: '0' } })
        .catch(() => undefined);
      if (made) rvs.get(t)!.set(i, made.metadata.resourceVersion!);
      return made !== undefined;
    },
  );
  const names = new Map<Target, number[]>(targets.map((t) => [t, [...rvs.get(t)!.keys()]]));
  if (OPS.has('get'))
    await alternate(
      `get      c=${c}`,
      () => MAX_OPS_PER_PHASE,
      (t, i) => {
        const made = names.get(t)!;
        return ok(
          t
            .on(i)
            .configMaps(ns)
            .get(`cm-${made[i % made.length]}`),
        );
      },
    );
  if (OPS.has('update'))
    await alternate(
      `update   c=${c}`,
      (t) => names.get(t)!.length,
      (t, i) => {
        const n = names.get(t)![i];
        return ok(
          t
            .on(i)
            .configMaps(ns)
            .update({
              metadata: { name: `cm-${n}`, resourceVersion: rvs.get(t)!.get(n) },
              data: { v: '1' },
            } as ConfigMap),
        );
      },
    );
  if (OPS.has('list'))
    await alternate(
      `list 100 c=${c}`,
      () => 2000,
      (t, i) => ok(t.on(i).configMaps(ns).list({ limit: 100 })),
    );
}

/** Summaries of slices of one phase as one: ops and seconds add up; latencies weighted by ops. */
function merge(parts: Summary[]): Summary {
  const ops = parts.reduce((n, p) => n + p.ops, 0);
  const seconds = parts.reduce((n, p) => n + p.seconds, 0);
  const weighted = (k: 'p50' | 'p99') =>
    ops > 0 ? parts.reduce((n, p) => n + (Number.isFinite(p[k]) ? p[k] * p.ops : 0), 0) / ops : NaN;
  const measured = parts.filter((p) => p.cpu);
  const cpu =
    measured.length === parts.length && parts.length > 0
      ? {
          serverMs: measured.reduce((n, p) => n + p.cpu!.serverMs, 0),
          clientMs: measured.reduce((n, p) => n + p.cpu!.clientMs, 0),
        }
      : undefined;
  return {
    cpu,
    ops,
    errors: parts.reduce((n, p) => n + p.errors, 0),
    seconds,
    perSecond: seconds > 0 ? ops / seconds : 0,
    p50: weighted('p50'),
    // Of the slices' p99s, the worst: a tail is not averaged away.
    p99: Math.max(...parts.map((p) => (Number.isFinite(p.p99) ? p.p99 : 0))) || weighted('p99'),
  };
}

/** The pod list and watch fan-out phases, on one target. */
async function bulkPhases(
  target: Target,
  report: (name: string, s: Summary) => void,
): Promise<void> {
  const { clients, on } = target;
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
    const made = (await clients[0].pods('bench-pods').list({ resourceVersion: '0' })).items.length;
    process.stdout.write(`created ${made} pods in ${((Date.now() - fill) / 1000).toFixed(1)} s\n`);
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
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
