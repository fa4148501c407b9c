import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findResource, type KubeObject } from '@flotilla/api';
import {
  coreV1EventSink,
  DeletedFinalStateUnknown,
  EventBroadcaster,
  LeaderElector,
  SharedInformer,
  type Lease,
} from '@flotilla/client';
import { memorySink } from '@flotilla/observability';
import type { StartedProcess } from '@flotilla/process/nest';
import type { ReplicatedStore } from '@flotilla/replicated-store';
import { startControlPlane } from '../../apps/control-plane/src/start-control-plane';
import { REPLICATED_STORE } from '../../apps/control-plane/src/replication/replication.tokens';
import { FaultyTransport } from './support/faulty-transport';
import { freePortBlock } from './support/ports';
import { runTool } from './support/run-tool';
import { waitFor } from './support/wait';

const NS = 'loops';
const info = (group: string, plural: string) => findResource(group, 'v1', plural)!;
const CONFIGMAPS = info('', 'configmaps');
const LEASES = info('coordination.k8s.io', 'leases');
const CORE_EVENTS = info('', 'events');
const PODS = info('', 'pods');

const cm = (name: string, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

describe('libs/client control loops against a real master (in-process)', () => {
  let dataRoot: string;
  let master: StartedProcess;
  let base: string;
  let kubeconfig: string;

  beforeAll(async () => {
    dataRoot = mkdtempSync(join(tmpdir(), 'flotilla-client-loops-'));
    const ports = await freePortBlock([0, 1]);
    master = await startControlPlane(
      {
        name: 'm1',
        dataDir: join(dataRoot, 'm1'),
        listenHost: '127.0.0.1',
        advertiseHost: '127.0.0.1',
        apiPort: 0,
        etcdPort: ports,
        peerPort: ports + 1,
        peers: [{ name: 'm1', host: '127.0.0.1', port: ports + 1 }],
        clusterToken: 'test',
        logLevel: 'warn',
        tickMs: 50,
        electionTicks: 10,
        snapshotEvery: 10000,
        initialClusterState: 'new',
        // Pods here never get nodes: the master's scheduler would write their status.
        disableScheduler: true,
      },
      { logSink: memorySink() },
    );
    base = `http://127.0.0.1:${master.port}`;
    const admin = FaultyTransport.client(base).client;
    await waitFor('bootstrap namespaces', async () =>
      (await admin
        .resource(info('', 'namespaces'))
        .get('default')
        .catch(() => undefined))
        ? true
        : undefined,
    );
    await admin
      .resource(info('', 'namespaces'))
      .create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    kubeconfig = join(dataRoot, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "' + base + '"}}]',
        'users: [{name: u, user: {}}]',
        `contexts: [{name: x, context: {cluster: c, user: u, namespace: ${NS}}}]`,
        'current-context: x',
      ].join('\n'),
    );
  }, 60_000);

  afterAll(async () => {
    FaultyTransport.closeAll();
    await master?.app.close();
    rmSync(dataRoot, { recursive: true, force: true });
  });

  it('keeps an informer equal to a fresh list through dropped watches and a 410 relist', async () => {
    const writer = FaultyTransport.client(base).client.resource(CONFIGMAPS, NS);
    for (let i = 0; i < 25; i++) await writer.create(cm(`seed-${i}`));
    const { client: watching, faults: watcher } = FaultyTransport.client(base);
    const informer = new SharedInformer(watching.resource(CONFIGMAPS, NS), {
      pageSize: 10,
      name: 'configmaps',
    });
    const view = new Map<string, string>(); // what the handlers were told: name → resourceVersion
    const missed: string[] = [];
    informer.addEventHandler({
      onAdd: (o) => view.set(o.metadata.name!, o.metadata.resourceVersion!),
      onUpdate: (_old, o) => view.set(o.metadata.name!, o.metadata.resourceVersion!),
      onDelete: (o) => {
        if (o instanceof DeletedFinalStateUnknown) missed.push(o.obj.metadata.name!);
        view.delete((o instanceof DeletedFinalStateUnknown ? o.obj : o).metadata.name!);
      },
    });
    informer.start();
    expect(await informer.waitForSync({ timeoutMs: 30_000 })).toBe(true);
    expect(view.size).toBe(25);

    for (let i = 0; i < 150; i++) {
      const name = `seed-${i % 25}`;
      const current = await writer.get(name).catch(() => undefined);
      if (!current) await writer.create(cm(name));
      else if (i % 7 === 0) await writer.delete(name);
      else await writer.update({ ...current, data: { i: String(i) } });
      if (i % 40 === 20) watcher.dropWatches();
    }

    // Cut the informer off, delete behind its back, compact the history it would resume from.
    watcher.cut();
    await writer.delete('seed-3').catch(() => undefined);
    await writer.create(cm('seed-3-gone-and-back')).catch(() => undefined);
    await writer.delete('seed-3-gone-and-back');
    const doomed = (await writer.list()).items[0];
    await writer.delete(doomed.metadata.name!);
    const store = master.app.get<ReplicatedStore>(REPLICATED_STORE);
    await store.compact({ revision: store.revision() });
    watcher.heal();

    const truth = async () =>
      new Map(
        (await writer.list()).items.map((o) => [o.metadata.name!, o.metadata.resourceVersion!]),
      );
    await waitFor('the informer to catch up after the relist', async () => {
      const t = await truth();
      const same = t.size === view.size && [...t].every(([k, v]) => view.get(k) === v);
      return same ? true : undefined;
    });
    expect(missed).toContain(doomed.metadata.name);
    expect(new Set(informer.lister.list().map((o) => o.metadata.name))).toEqual(
      new Set(view.keys()),
    );
    informer.stop();
  }, 120_000);

  it('elects one leader on a real Lease, fences a cut-off holder, and hands over at once on stop', async () => {
    const timeline: { who: string; start: number; end?: number }[] = [];
    const clients = new Map<string, FaultyTransport>();
    const elector = (who: string) => {
      const { client, faults } = FaultyTransport.client(base);
      clients.set(who, faults);
      const e = new LeaderElector({
        leases: client.resource<Lease>(LEASES, NS),
        leaseName: 'loops-controller',
        name: who,
        callbacks: {
          onStartedLeading: (signal) => {
            const term: { who: string; start: number; end?: number } = { who, start: Date.now() };
            timeline.push(term);
            signal.addEventListener('abort', () => (term.end = Date.now()));
          },
        },
      });
      void e.run();
      return e;
    };
    const a = elector('a');
    await waitFor('a to lead', async () => (a.isLeader() ? true : undefined));
    const b = elector('b');
    await new Promise((r) => setTimeout(r, 1000));
    expect(b.isLeader()).toBe(false);

    const cutAt = Date.now();
    clients.get('a')!.cut();
    await waitFor('b to take over', async () => (b.isLeader() ? true : undefined), 15_000);
    const [ta, tb] = timeline;
    expect(ta.who).toBe('a');
    expect(tb.who).toBe('b');
    expect(ta.end).toBeDefined();
    expect(ta.end!).toBeLessThanOrEqual(tb.start);
    console.log(
      `leader election on a real Lease: a cut off at t=0; a stopped acting at +${ta.end! - cutAt} ms; b led at +${tb.start - cutAt} ms`,
    );

    clients.get('a')!.heal();
    await new Promise((r) => setTimeout(r, 1000));
    expect(a.isLeader()).toBe(false);
    const stopAt = Date.now();
    await b.stop();
    await waitFor(
      'a to take over after b released',
      async () => (a.isLeader() ? true : undefined),
      15_000,
    );
    const tc = timeline[2];
    expect(tc.who).toBe('a');
    expect(tb.end!).toBeLessThanOrEqual(tc.start);
    console.log(`graceful handover: b stopped at t=0, a led at +${tc.start - stopAt} ms`);
    const lease = await FaultyTransport.client(base)
      .client.resource<Lease>(LEASES, NS)
      .get('loops-controller');
    expect(lease.spec?.holderIdentity).toBe(a.identity);
    expect(lease.spec?.leaseTransitions).toBe(2);
    await a.stop();
  }, 60_000);

  it('records events that kubectl get events and kubectl describe show, repeats as one series', async () => {
    const { client } = FaultyTransport.client(base);
    const pod = await client.resource(PODS, NS).create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    const broadcaster = new EventBroadcaster({
      sink: coreV1EventSink((ns) => client.resource(CORE_EVENTS, ns)),
    });
    const rec = broadcaster.newRecorder({
      reportingController: 'flotilla.io/loops-test',
      reportingInstance: 'loops-test-m1',
    });
    for (let i = 0; i < 3; i++)
      rec.eventf(pod, undefined, 'Warning', 'FailedSync', 'Sync', 'sync failed: %s', 'no node');
    rec.eventf(
      pod,
      undefined,
      'Normal',
      'Scheduled',
      'Binding',
      'Successfully assigned %s/%s to n1',
      NS,
      'web-1',
    );
    await broadcaster.flush();
    broadcaster.shutdown();

    const events = (await client.resource(CORE_EVENTS, NS).list()).items;
    expect(events).toHaveLength(2);
    const env = { ...process.env, KUBECONFIG: kubeconfig };
    const get = await runTool('kubectl', ['get', 'events'], { env });
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/Warning\s+FailedSync\s+pod\/web-1\s+sync failed: no node/);
    expect(get.stdout).toMatch(
      /Normal\s+Scheduled\s+pod\/web-1\s+Successfully assigned loops\/web-1 to n1/,
    );
    const describe = await runTool('kubectl', ['describe', 'pod', 'web-1'], { env });
    expect(describe.code).toBe(0);
    const section = describe.stdout.slice(describe.stdout.indexOf('Events:'));
    expect(section).toMatch(
      /Warning\s+FailedSync\s+.*\(x2 over .*\)\s+flotilla\.io\/loops-test\s+sync failed: no node/,
    );
    expect(section).toMatch(
      /Normal\s+Scheduled\s+.*flotilla\.io\/loops-test\s+Successfully assigned loops\/web-1 to n1/,
    );
  }, 60_000);
});
