/**
 * How many watch events per second an informer can take when the informer, not the API server,
 * is the limit: a loopback HTTP server of its own serves a list of N pods and then, on cue, a
 * watch stream of M MODIFIED events as fast as the socket takes them (pods as our API server
 * writes them, managedFields included). Each informer runs alone in its own process
 * (bench/client/informer-child.ts: @flotilla/client's SharedInformer, also with managedFields
 * stripped before caching, and also unfrozen; @kubernetes/client-node's makeInformer), so they never compete for the CPU. Prints wall time from the first byte sent to
 * the M-th update handler call, events/s, and process CPU per event. Printed, not asserted.
 *
 *   npx tsx bench/client/informer-stream.ts [--pods 2000] [--events 50000] [--rounds 2] [--libs a,b]
 *   (CPU_PROF_DIR=dir writes each informer process's CPU profile there)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnBenchChild, type BenchChild } from './bench-child';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const PODS = arg('pods', 2000);
const EVENTS = arg('events', 50_000);
const ROUNDS = arg('rounds', 2);
const NS = 'bench';
const ALL_LIBS = ['ours', 'ours-stripped', 'ours-lean', 'client-node'] as const;
type Lib = (typeof ALL_LIBS)[number];
/** --libs ours,client-node runs a subset. */
const LIBS: readonly Lib[] = process.argv.includes('--libs')
  ? (process.argv[process.argv.indexOf('--libs') + 1].split(',') as Lib[])
  : ALL_LIBS;

/** A pod as the API server stores and sends it after defaulting. */
function pod(i: number, rv: number, gen: string): Record<string, unknown> {
  const name = `p${i}`;
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    // In the order our API server writes metadata: managedFields before resourceVersion.
    metadata: {
      name,
      labels: { app: `a${i % 50}`, gen },
      namespace: NS,
      uid: `7f1c2a4e-0000-4000-8000-${String(i).padStart(12, '0')}`,
      creationTimestamp: '2026-12-07T14:00:00Z',
      managedFields: [
        {
          manager: 'bench-writer',
          operation: 'Update',
          apiVersion: 'v1',
          time: '2026-12-07T14:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:labels': { '.': {}, 'f:app': {}, 'f:gen': {} } },
            'f:spec': {
              'f:containers': {
                'k:{"name":"c"}': {
                  '.': {},
                  'f:image': {},
                  'f:imagePullPolicy': {},
                  'f:name': {},
                  'f:resources': { '.': {}, 'f:requests': { '.': {}, 'f:cpu': {} } },
                  'f:terminationMessagePath': {},
                  'f:terminationMessagePolicy': {},
                },
              },
              'f:dnsPolicy': {},
              'f:enableServiceLinks': {},
              'f:restartPolicy': {},
              'f:schedulerName': {},
              'f:securityContext': {},
              'f:terminationGracePeriodSeconds': {},
            },
          },
        },
      ],
      resourceVersion: String(rv),
    },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'busybox',
          resources: { requests: { cpu: '10m' } },
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'Always',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      serviceAccount: 'default',
      securityContext: {},
      schedulerName: 'default-scheduler',
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: { phase: 'Pending', qosClass: 'Burstable' },
  };
}

/** The list, then watches that wait for their cue. */
class StreamServer {
  private rv = 1000;
  private readonly watches = new Set<ServerResponse>();
  private readonly server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    // Our transport pings a master whose streams are quiet; a real one answers ready.
    if (['/readyz', '/livez', '/healthz'].includes(url.pathname)) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (url.pathname !== `/api/v1/namespaces/${NS}/pods`) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    const watch = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
    if (!watch) {
      const items = Array.from({ length: PODS }, (_, i) => pod(i, 1000, '0'));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'PodList',
          apiVersion: 'v1',
          metadata: { resourceVersion: String(this.rv) },
          items,
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    this.watches.add(res);
    res.on('close', () => this.watches.delete(res));
  });

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as AddressInfo).port;
  }

  get openWatches(): number {
    return this.watches.size;
  }

  /** `n` MODIFIED events in 64 KiB-ish chunks, made before the clock starts. */
  prepare(n: number, round: number): Buffer[] {
    const chunks: Buffer[] = [];
    let text = '';
    for (let i = 0; i < n; i++) {
      const obj = pod(i % PODS, ++this.rv, `${round}-${i}`);
      text += `${JSON.stringify({ type: 'MODIFIED', object: obj })}\n`;
      if (text.length > 65_536) {
        chunks.push(Buffer.from(text));
        text = '';
      }
    }
    if (text) chunks.push(Buffer.from(text));
    return chunks;
  }

  /** Writes the chunks to every open watch, honouring back-pressure. */
  async burst(chunks: Buffer[]): Promise<void> {
    for (const chunk of chunks) {
      await Promise.all(
        [...this.watches].map(
          (res) => new Promise<void>((r) => (res.write(chunk) ? r() : res.once('drain', r))),
        ),
      );
    }
  }

  close(): void {
    for (const w of this.watches) w.destroy();
    this.server.closeAllConnections();
    this.server.close();
  }
}

function spawnChild(lib: Lib, kubeconfig: string): BenchChild {
  return spawnBenchChild('informer-child.ts', [lib, kubeconfig, 'bench', NS], `${lib} informer`);
}

function kubeconfigFor(port: number, dir: string): string {
  const file = join(dir, 'kubeconfig');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: bench',
      // client-node refuses plain http unless told to skip TLS verification.
      `  cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true }`,
      'users:',
      '- name: bench',
      '  user: {}',
      'contexts:',
      '- name: bench',
      '  context: { cluster: bench, user: bench }',
      'current-context: bench',
      '',
    ].join('\n'),
  );
  return file;
}

async function waitUntil(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function main(): Promise<void> {
  const server = new StreamServer();
  const port = await server.listen();
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-informer-stream-'));
  const kubeconfig = kubeconfigFor(port, dir);
  const summary: string[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? [...LIBS] : [...LIBS].reverse();
      // Made while no informer runs: the writer's event loop is busy for seconds meanwhile, and
      // a client would rightly take a master that long silent for dead.
      const chunks = server.prepare(EVENTS, round);
      for (const lib of order) {
        const child = spawnChild(lib, kubeconfig);
        try {
          const synced = await child.next();
          if (Number(synced.objects) !== PODS) throw new Error(`${lib} listed ${synced.objects}`);
          await waitUntil(`${lib}'s watch`, () => server.openWatches === 1);
          child.send('mark');
          await child.next();
          await server.burst(chunks);
          child.send(`count ${EVENTS}`);
          const e = await child.next();
          const n = Math.max(1, Number(e.updates));
          const wall = Number(e.wallMs);
          summary.push(
            `round ${round} ${lib.padEnd(13)} ${e.updates}/${EVENTS} events in ${wall.toFixed(0)} ms: ` +
              `${((n / wall) * 1000).toFixed(0)} events/s, ${((Number(e.cpuMs) * 1000) / n).toFixed(1)} µs process CPU per event; ` +
              `cache of ${PODS} pods: ${Number(synced.heapMiB).toFixed(1)} MiB heap, RSS ${Number(synced.rssMiB).toFixed(0)} MiB`,
          );
          process.stdout.write(`${summary[summary.length - 1]}\n`);
        } finally {
          child.send('stop');
          const exited = new Promise((r) => child.proc.once('exit', r));
          const timer = setTimeout(() => child.proc.kill(), 5000);
          await exited;
          clearTimeout(timer);
          await waitUntil('the watch to close', () => server.openWatches === 0);
        }
      }
    }
    process.stdout.write(`\nsummary (${PODS} pods, ${EVENTS} events)\n${summary.join('\n')}\n`);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
