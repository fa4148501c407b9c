/**
 * @flotilla/client against a three-master Flotilla cluster (the built dist/, on loopback), side by
 * side with @kubernetes/client-node in the same run on the same master: requests/s and latency of
 * create, get and list at concurrency 1 and 16, ours over JSON and over protobuf (the order the
 * clients go in reverses from one measurement to the next); then
 * what a GET loop and a watch lose when the master they use is SIGKILLed, and SIGSTOPped.
 * Printed, not asserted. Every phase is bounded in operations and in seconds.
 *
 *   npx tsx bench/client/main.ts [--seconds S] [--concurrency 1,16] [--ops N] [--faults N]
 */
import { resolve } from 'node:path';
import { ConfigMap, connectFromKubeconfig, KubeClient } from '@flotilla/client';
import { MasterCluster } from '../../test/integration/support/master-cluster';
import { row, summarize, Summary } from '../apiserver/stats';
import { ensureBuilt } from '../kv/prerequisites';

const USAGE = `Usage: npx tsx bench/client/main.ts [--seconds S] [--concurrency 1,16] [--ops N] [--faults N]
  --seconds: per measured phase (default 4); --ops: bound per phase (default 20000);
  --faults: rounds of each fault (kill -9, SIGSTOP) in the failover part (default 2, 0 skips it)`;

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const SECONDS = Number(arg('seconds', '4'));
const CONCURRENCY = arg('concurrency', '1,16').split(',').map(Number);
const MAX_OPS = Number(arg('ops', '20000'));
const FAULTS = Number(arg('faults', '2'));

/** The three operations as each client library performs them. */
interface Ops {
  name: string;
  create(ns: string, name: string): Promise<unknown>;
  get(ns: string, name: string): Promise<unknown>;
  /** A page of 100 from the shared namespace LIST_NS (the same objects for every client). */
  list(ns: string): Promise<unknown>;
  createNamespace(ns: string): Promise<unknown>;
}

function ours(client: KubeClient, name = '@flotilla/client'): Ops {
  return {
    name,
    create: (ns, name) => client.configMaps(ns).create({ metadata: { name }, data: { v: '0' } }),
    get: (ns, name) => client.configMaps(ns).get(name),
    list: (ns) => client.configMaps(ns).list({ limit: 100 }),
    createNamespace: (ns) => client.namespaces().create({ metadata: { name: ns } }),
  };
}

async function clientNode(kubeconfig: string, context: string): Promise<Ops> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  kc.setCurrentContext(context);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  return {
    name: '@kubernetes/client-node',
    create: (namespace, name) =>
      core.createNamespacedConfigMap({ namespace, body: { metadata: { name }, data: { v: '0' } } }),
    get: (namespace, name) => core.readNamespacedConfigMap({ namespace, name }),
    list: (namespace) => core.listNamespacedConfigMap({ namespace, limit: 100 }),
    createNamespace: (name) => core.createNamespace({ body: { metadata: { name } } }),
  };
}

/** Runs `op(i)` from `concurrency` workers until `count` ops or the time limit. */
async function closedLoop(
  concurrency: number,
  count: number,
  op: (i: number) => Promise<unknown>,
): Promise<Summary> {
  const ms: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && performance.now() < deadline) {
        const i = next++;
        const t = performance.now();
        try {
          await op(i);
          ms.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  return summarize(ms, errors, (performance.now() - started) / 1000);
}

const lines: string[] = [];
const say = (line: string) => {
  lines.push(line);
  process.stdout.write(`${line}\n`);
};

/** Lists read this namespace, filled once, so every client lists the same 300 objects. */
const LIST_NS = 'bench-list';

async function throughput(clients: Ops[]): Promise<void> {
  await clients[0].createNamespace(LIST_NS);
  for (let i = 0; i < 300; i++) await clients[0].create(LIST_NS, `item-${i}`);
  for (const [round, c] of CONCURRENCY.entries()) {
    const created = new Map<Ops, number>();
    for (const [k, op] of (['create', 'get', 'list'] as const).entries()) {
      // Alternate who goes first, so a warming or noisy machine falls on both.
      const order = (round + k) % 2 === 0 ? clients : [...clients].reverse();
      const results = new Map<Ops, Summary>();
      for (const client of order) {
        const ns = `bench-${clients.indexOf(client)}-c${c}`;
        if (op === 'create') await client.createNamespace(ns);
        const n = created.get(client) ?? 0;
        const s =
          op === 'create'
            ? await closedLoop(c, MAX_OPS, (i) => client.create(ns, `cm-${i}`))
            : op === 'get'
              ? await closedLoop(c, MAX_OPS, (i) => client.get(ns, `cm-${i % n}`))
              : await closedLoop(c, Math.min(MAX_OPS, 2000), () => client.list(LIST_NS));
        if (op === 'create') created.set(client, s.ops);
        results.set(client, s);
      }
      for (const client of clients) say(row(`${op} c=${c} ${client.name}`, results.get(client)!));
      // The last client is @kubernetes/client-node: every other one against it.
      const reference = results.get(clients[clients.length - 1])!.perSecond;
      for (const client of clients.slice(0, -1))
        say(
          `${`${op} c=${c} ${client.name.replace('@flotilla/client', 'ours')}/client-node`.padEnd(34)} ${(results.get(client)!.perSecond / reference).toFixed(2)}x`,
        );
    }
  }
}

/**
 * A reader (GET loop + resumable watch) on a follower, a writer on the leader; the follower is
 * killed or stopped. Prints how long the GET loop went without an answer and the worst delay
 * between a write's acknowledgement and its watch event after the fault.
 */
async function failover(cluster: MasterCluster, fault: 'SIGKILL' | 'SIGSTOP'): Promise<void> {
  for (const name of cluster.names)
    if (!cluster.processes.has(name)) {
      cluster.startMember(name);
      await cluster.waitReady(name);
    }
  const leader = await cluster.leader();
  const target = cluster.names.find((n) => n !== leader)!;
  const open = (context: string, component: string) =>
    connectFromKubeconfig({
      kubeconfig: cluster.kubeconfig,
      context: `flotilla-${context}`,
      component,
      rateLimit: false,
    }).client;
  const reader = open(target, 'bench-reader');
  const writer = open(leader, 'bench-writer');
  const label = `f${Date.now()}`;
  try {
    const cms = reader.configMaps('default');
    await cms.create({ metadata: { name: `probe-${label}` } }).catch(() => undefined);
    const start = await cms.list({ labelSelector: `run=${label}`, limit: 1 });
    const seen: number[] = [];
    const watch = cms.watchResumable(
      { labelSelector: `run=${label}`, resourceVersion: start.metadata.resourceVersion },
      () => seen.push(Date.now()),
    );
    let reading = true;
    const answered: number[] = [];
    let failed = 0;
    const loop = (async () => {
      for (let i = 0; reading && i < 1_000_000; i++)
        await cms.get(`probe-${label}`).then(
          () => answered.push(Date.now()),
          () => failed++,
        );
    })();
    const WRITES = 60;
    const acked: number[] = [];
    let faultAt = 0;
    const pid = cluster.processes.get(target)!.pid;
    try {
      for (let i = 0; i < WRITES; i++) {
        if (i === 20) {
          for (let t = 0; t < 500 && seen.length < 20; t++) await sleep(10);
          faultAt = Date.now();
          if (fault === 'SIGKILL') cluster.kill(target);
          else process.kill(pid, 'SIGSTOP');
        }
        await writer
          .configMaps('default')
          .create({ metadata: { name: `${label}-${i}`, labels: { run: label } } } as ConfigMap);
        acked.push(Date.now());
        await sleep(25);
      }
      for (let t = 0; t < 1000 && seen.length < WRITES; t++) await sleep(10);
      await sleep(200);
    } finally {
      reading = false;
      await loop;
      watch.stop();
      if (fault === 'SIGSTOP') {
        process.kill(pid, 'SIGCONT');
      }
    }
    const before = answered.filter((t) => t <= faultAt).pop() ?? faultAt;
    const after = answered.find((t) => t > faultAt);
    const lag = Math.max(...seen.slice(20).map((t, j) => t - acked[20 + j]));
    say(
      `${`${fault} of the reader's master`.padEnd(34)} GET loop silent ${after ? after - before : 'forever'} ms, ` +
        `watch lag ${lag} ms, events ${seen.length}/${WRITES}, failed GETs ${failed}`,
    );
  } finally {
    reader.close();
    writer.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  ensureBuilt(resolve(__dirname, '../..'));
  process.stdout.write('starting three masters (dist/)...\n');
  const cluster = await MasterCluster.start(3, [], 'dist/apps/control-plane/main.js');
  try {
    await cluster.waitForApi();
    const open = (protobuf: boolean) =>
      connectFromKubeconfig({
        kubeconfig: cluster.kubeconfig,
        context: 'flotilla-m1',
        component: 'bench-client',
        rateLimit: false,
        maxSockets: 64,
        protobuf,
      }).client;
    const [json, pb] = [open(false), open(true)];
    try {
      await throughput([
        ours(json),
        ours(pb, '@flotilla/client protobuf'),
        await clientNode(cluster.kubeconfig, 'flotilla-m1'),
      ]);
    } finally {
      json.close();
      pb.close();
    }
    for (let i = 0; i < FAULTS; i++) {
      await failover(cluster, 'SIGKILL');
      await failover(cluster, 'SIGSTOP');
    }
    process.stdout.write(`\nsummary\n${lines.join('\n')}\n`);
  } finally {
    await cluster.shutdown();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
