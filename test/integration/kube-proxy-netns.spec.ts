// kube-proxy's rules in real kernels: two workers and their "pods" as network namespaces, a
// client outside on the fabric, and the proxier of each worker writing its table with nft in the
// worker's namespace. Root is required (CI runs as root); nothing is probed from the root namespace.
// The proxies report to an API server (in process, RBAC on) as system:kube-proxy, and the bad-input
// cases are read back with the real kubectl.
import { findResource } from '@flotilla/api';
import { EventBroadcaster, type EventV1, type KubeClient, eventsV1Sink } from '@flotilla/client';
import { JsonLogger, memorySink } from '@flotilla/observability';
import {
  EndpointSlice,
  KUBE_PROXY_EVENT_REASONS,
  KUBE_PROXY_REPORTING_CONTROLLER,
  NftApplier,
  NftSession,
  Proxier,
  ProxyEvents,
  RenderOptions,
  Service,
  nftSessionSpawner,
  nodeReference,
  processRunner,
  proxyMetrics,
} from '@flotilla/kube-proxy';
import { HttpTestServer, TestApi, startTestApi } from '@flotilla/testing';
import { NODE_OPTIONS, port, service, slice } from '@flotilla/kube-proxy/testing/fixtures';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { NetnsLab, Pod, Worker, inNs, requireTools } from './support/netns-lab';
import { answeredBy, holdConnection, probe, startServer } from './support/netns-probes';
import { runTool } from './support/run-tool';
import { waitFor } from './support/wait';
import { writeKubeconfig } from './support/kubeconfig-file';

jest.setTimeout(120_000);

interface RunningProxy {
  proxier: Proxier;
  registry: Registry;
  logs: string[];
  events: EventBroadcaster;
}

const EVENTS_V1 = findResource('events.k8s.io', 'v1', 'events')!;
let api: TestApi;
let http: HttpTestServer;
let kubeconfig: string;
/** kube-proxy's identity (system:node-proxier), as --proxy-kubeconfig gives it. */
let proxyClient: KubeClient;

let lab: NetnsLab;
let w1: Worker;
let w2: Worker;
let ext: { netns: string; ip: string };
let p1: Pod, p2: Pod, p3: Pod, c1: Pod, c2: Pod;
let tmp: string;
const proxies = new Map<string, RunningProxy>();
/** Every object given to the proxies so far, so that a restarted one can be fed them again. */
const objects = new Map<string, Service | EndpointSlice>();

function nodeOptions(worker: Worker): RenderOptions {
  return {
    ...NODE_OPTIONS,
    nodeName: worker.name,
    nodeIPs: [worker.ip],
    nodePortIPs: [worker.ip],
    clusterCIDR: `10.${lab.subnet}.0.0/16`,
  };
}

/** The proxies run their incremental syncs through an nft -i session, as the node agent does;
 *  the failing-nft case gives a wrapper to nft -f alone (a session would outlive the wrapper's
 *  switch). */
function startProxy(worker: Worker, nft = 'nft', session = nft === 'nft'): RunningProxy {
  const registry = new Registry();
  const sink = memorySink();
  const runner = processRunner({ netns: worker.netns });
  const logger = new JsonLogger({ node: worker.name, component: 'kube-proxy', sink });
  const events = new EventBroadcaster({
    sink: eventsV1Sink((ns) => proxyClient.resource(EVENTS_V1, ns)),
    onError: (err) => logger.warn('event not written', { error: String(err) }),
  });
  const proxier = new Proxier({
    options: nodeOptions(worker),
    applier: new NftApplier(
      runner,
      'ip',
      nft,
      session ? new NftSession(nftSessionSpawner(nft, worker.netns)) : undefined,
    ),
    conntrack: runner,
    metrics: proxyMetrics(registry),
    logger,
    config: {
      minSyncPeriodMs: 50,
      syncPeriodMs: 3600_000,
      retryBaseMs: 200,
      staleChainDelayMs: 200,
    },
    reporter: new ProxyEvents(
      events.newRecorder({
        reportingController: KUBE_PROXY_REPORTING_CONTROLLER,
        reportingInstance: worker.name,
      }),
      () => nodeReference(worker.name),
    ),
  });
  for (const o of objects.values()) {
    if (o.kind === 'Service') proxier.onServiceUpsert(o as Service);
    else proxier.onEndpointSliceUpsert(o as EndpointSlice);
  }
  proxier.onServicesSynced();
  proxier.onEndpointSlicesSynced();
  const running = { proxier, registry, logs: sink.lines, events };
  proxies.set(worker.name, running);
  return running;
}

function key(o: Service | EndpointSlice): string {
  return `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
}

/** Gives objects to every running proxy and waits until both kernels have them. */
async function apply(...items: (Service | EndpointSlice)[]): Promise<void> {
  give(...items);
  await settle();
}

function give(...items: (Service | EndpointSlice)[]): void {
  for (const o of items) {
    objects.set(key(o), o);
    for (const { proxier } of proxies.values()) {
      if (o.kind === 'Service') proxier.onServiceUpsert(o as Service);
      else proxier.onEndpointSliceUpsert(o as EndpointSlice);
    }
  }
}

async function remove(...items: (Service | EndpointSlice)[]): Promise<void> {
  for (const o of items) {
    objects.delete(key(o));
    for (const { proxier } of proxies.values()) {
      if (o.kind === 'Service') proxier.onServiceDelete(o as Service);
      else proxier.onEndpointSliceDelete(o as EndpointSlice);
    }
  }
  await settle();
}

async function settle(): Promise<void> {
  await waitFor(
    'the proxies to sync',
    () => ([...proxies.values()].every((p) => p.proxier.inSync) ? true : undefined),
    30_000,
    20,
  );
}

async function metric(proxy: RunningProxy, name: string): Promise<number> {
  const m = (await proxy.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? []).reduce((n, v) => n + v.value, 0);
}

const endpointsOf = (svc: string, pods: Pod[], ports = [{ name: 'http', port: 8080 }]) =>
  slice(
    'demo',
    svc,
    pods.map((p) => ({ ip: p.ip, node: p.worker.name })),
    ports,
  );

function counts(names: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (out[n] ?? 0) + 1;
  return out;
}

/** Stops a proxy and its event writer (after what it recorded is written). */
async function stopProxy(worker: Worker): Promise<RunningProxy> {
  const running = proxies.get(worker.name)!;
  await running.proxier.stop();
  await running.events.flush();
  running.events.shutdown();
  proxies.delete(worker.name);
  return running;
}

async function kubectl(...args: string[]): Promise<string> {
  const r = await runTool('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig } });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The events kube-proxy wrote about `kind/name` (through kubectl, as an operator reads them). */
async function proxyEvents(namespace: string, kind: string, name: string): Promise<EventV1[]> {
  const listed = JSON.parse(
    await kubectl(
      'get',
      'events.v1.events.k8s.io',
      '-n',
      namespace,
      '--field-selector',
      `regarding.kind=${kind},regarding.name=${name}`,
      '-o',
      'json',
    ),
  ) as { items: EventV1[] };
  return listed.items.filter((e) => e.reportingController === KUBE_PROXY_REPORTING_CONTROLLER);
}

async function eventsAbout(
  namespace: string,
  kind: string,
  name: string,
  instances: string[],
): Promise<EventV1[]> {
  return waitFor(
    `kube-proxy events about ${kind} ${namespace}/${name} from ${instances.join(',')}`,
    async () => {
      const found = await proxyEvents(namespace, kind, name);
      const from = new Set(found.map((e) => e.reportingInstance));
      return instances.every((i) => from.has(i)) ? found : undefined;
    },
    30_000,
    200,
  );
}

beforeAll(async () => {
  requireTools(['ip', 'nft', 'nsenter', 'conntrack', 'kubectl']);
  api = await startTestApi({ authorization: 'RBAC' });
  proxyClient = api.newClient(
    { component: 'kube-proxy' },
    { name: 'system:kube-proxy', groups: ['system:authenticated'] },
  );
  // kubectl comes in without credentials: let it discover and read (view), as an operator would.
  for (const role of ['system:discovery', 'view']) {
    await api.client.forResource('clusterrolebindings', 'rbac.authorization.k8s.io').create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `test-anonymous-${role.replace(':', '-')}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'User', name: 'system:anonymous', apiGroup: 'rbac.authorization.k8s.io' }],
    });
  }
  await api.client
    .namespaces()
    .create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
  http = await HttpTestServer.start(api.server);
  lab = new NetnsLab('kp', 77);
  ext = lab.addFabricHost('ext', 100);
  // The outside host is the workers' default gateway: a packet to a Service address without
  // endpoints must be routable for the reject rules (in the forward hook) to see it.
  w1 = lab.addWorker('w1', { defaultVia: ext.ip });
  w2 = lab.addWorker('w2', { defaultVia: ext.ip });
  p1 = lab.addPod(w1, 'p1', 11);
  p2 = lab.addPod(w1, 'p2', 12);
  p3 = lab.addPod(w2, 'p3', 11);
  c1 = lab.addPod(w1, 'c1', 20);
  c2 = lab.addPod(w2, 'c2', 20);
  await Promise.all(
    [p1, p2, p3].map((p) => startServer(lab, p.netns, p.name, { tcp: [8080], udp: [5353] })),
  );
  tmp = mkdtempSync(join(tmpdir(), 'kube-proxy-netns-'));
  kubeconfig = writeKubeconfig(join(tmp, 'kubeconfig'), http.url);
  startProxy(w1);
  startProxy(w2);
  await settle();
});

afterAll(async () => {
  for (const { proxier, events } of proxies.values()) {
    await proxier.stop();
    events.shutdown();
  }
  lab?.destroy();
  await http?.close();
  await api?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('kube-proxy in network namespaces', () => {
  const web = service('demo', 'web', {
    clusterIP: '10.96.0.10',
    ports: [port(80, { name: 'http' })],
  });

  it('ClusterIP: a pod on either worker reaches every endpoint over many connections', async () => {
    await apply(web, endpointsOf('web', [p1, p2, p3]));
    for (const client of [c1, c2]) {
      const seen = counts(answeredBy(await probe(lab, client.netns, 'tcp', '10.96.0.10', 80, 60)));
      expect(Object.keys(seen).sort()).toEqual(['p1', 'p2', 'p3']);
    }
  });

  it('NodePort: a client outside the workers reaches the endpoints through either node', async () => {
    const np = service('demo', 'np', {
      type: 'NodePort',
      clusterIP: '10.96.0.11',
      ports: [port(80, { name: 'http', nodePort: 30080 })],
    });
    await apply(np, endpointsOf('np', [p1, p2, p3]));
    for (const node of [w1, w2]) {
      const results = await probe(lab, ext.netns, 'tcp', node.ip, 30080, 40);
      expect(Object.keys(counts(answeredBy(results))).sort()).toEqual(['p1', 'p2', 'p3']);
      // Masqueraded: endpoints see a node address, not the client's.
      expect(results.every((r) => !r.ok?.endsWith(ext.ip))).toBe(true);
    }
  });

  it('no endpoints: connections are refused at once, not left hanging; scaling up makes it answer', async () => {
    await apply(endpointsOf('web', []));
    const refused = await probe(lab, c1.netns, 'tcp', '10.96.0.10', 80, 5, 3000);
    expect(refused).toEqual(Array(5).fill({ err: 'ECONNREFUSED' }));
    const fromOutside = await probe(lab, ext.netns, 'tcp', w1.ip, 30080, 1, 3000);
    expect(fromOutside[0].err).not.toBe('TIMEOUT');
    await apply(endpointsOf('web', [p2]));
    expect(answeredBy(await probe(lab, c1.netns, 'tcp', '10.96.0.10', 80, 10))).toEqual(
      Array(10).fill('p2'),
    );
    await apply(endpointsOf('web', [p1, p2, p3]));
  });

  it('a port the Service does not have on its ClusterIP is rejected too', async () => {
    expect(await probe(lab, c1.netns, 'tcp', '10.96.0.10', 81, 1, 3000)).toEqual([
      { err: 'ECONNREFUSED' },
    ]);
  });

  it('sessionAffinity ClientIP keeps a client on one endpoint', async () => {
    const sticky = service('demo', 'sticky', {
      clusterIP: '10.96.0.12',
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
      ports: [port(80, { name: 'http' })],
    });
    await apply(sticky, endpointsOf('sticky', [p1, p2, p3]));
    const seen = counts(answeredBy(await probe(lab, c1.netns, 'tcp', '10.96.0.12', 80, 30)));
    expect(Object.values(seen)).toEqual([30]);
  });

  it('externalTrafficPolicy Local: NodePort traffic stays on the node and keeps the client address', async () => {
    const local = service('demo', 'local', {
      type: 'NodePort',
      clusterIP: '10.96.0.13',
      externalTrafficPolicy: 'Local',
      ports: [port(80, { name: 'http', nodePort: 30081 })],
    });
    await apply(local, endpointsOf('local', [p1, p2, p3]));
    const viaW1 = await probe(lab, ext.netns, 'tcp', w1.ip, 30081, 30);
    expect(Object.keys(counts(answeredBy(viaW1))).sort()).toEqual(['p1', 'p2']);
    expect(viaW1.every((r) => r.ok?.endsWith(` ${ext.ip}`))).toBe(true);
    const viaW2 = await probe(lab, ext.netns, 'tcp', w2.ip, 30081, 10);
    expect(answeredBy(viaW2)).toEqual(Array(10).fill('p3'));
    // Inside the cluster the ClusterIP still reaches every endpoint.
    const inside = counts(answeredBy(await probe(lab, c1.netns, 'tcp', '10.96.0.13', 80, 40)));
    expect(Object.keys(inside).sort()).toEqual(['p1', 'p2', 'p3']);
  });

  it('hairpin: a pod reaches itself through its own Service, masqueraded so the answer returns', async () => {
    const self = service('demo', 'self', {
      clusterIP: '10.96.0.14',
      ports: [port(80, { name: 'http' })],
    });
    await apply(self, endpointsOf('self', [p1]));
    const results = await probe(lab, p1.netns, 'tcp', '10.96.0.14', 80, 5);
    expect(results).toEqual(Array(5).fill({ ok: `hello p1 ${w1.gateway}` }));
  });

  it('UDP: a removed endpoint loses its conntrack entries, so the same client socket moves on', async () => {
    const dns = service('demo', 'dns', {
      clusterIP: '10.96.0.53',
      ports: [port(53, { name: 'dns', protocol: 'UDP' })],
    });
    const only = (p: Pod) =>
      endpointsOf('dns', [p], [{ name: 'dns', port: 5353, protocol: 'UDP' } as never]);
    await apply(dns, only(p2));
    // One long-lived socket: the first datagrams before and after the change share a source port.
    const held = lab.spawnIn(c1.netns, [
      process.execPath,
      '-e',
      `const u=require('dgram').createSocket('udp4');u.bind(0,()=>{require('readline').createInterface({input:process.stdin}).on('line',()=>u.send('x',53,'10.96.0.53'))});u.on('message',m=>console.log(m.toString()));`,
    ]);
    const lines: string[] = [];
    held.stdout!.on('data', (d: Buffer) => lines.push(...d.toString().trim().split('\n')));
    const ask = async (n: number) => {
      held.stdin!.write('go\n');
      return waitFor(
        'a UDP answer',
        () => (lines.length >= n ? lines[n - 1] : undefined),
        10_000,
        20,
      );
    };
    await waitFor('the UDP client to start', () => (held.pid ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    expect((await ask(1)).split(' ')[0]).toBe('p2');
    await apply(only(p1));
    expect((await ask(2)).split(' ')[0]).toBe('p1');
    held.kill();
  });

  it('a restarted proxy keeps existing connections and converges on what changed while it was down', async () => {
    const held = await holdConnection(lab, c1.netns, '10.96.0.10', 80);
    const server = held.greeting.split(' ')[1];
    await stopProxy(w1);
    // While w1's proxy is down, the Service loses p3 (only the other proxy hears it now).
    await apply(endpointsOf('web', [p1, p2]));
    startProxy(w1);
    await settle();
    expect(await held.send('still there?')).toBe(`${server}: still there?`);
    const seen = counts(answeredBy(await probe(lab, c1.netns, 'tcp', '10.96.0.10', 80, 40)));
    expect(Object.keys(seen).sort()).toEqual(['p1', 'p2']);
    held.close();
    await apply(endpointsOf('web', [p1, p2, p3]));
  });
});

describe('bad input and a failing nft', () => {
  it('a Service on a NodePort already in use is left out: logged, counted, an event about it; the first keeps working', async () => {
    const thief = service('demo', 'thief', {
      type: 'NodePort',
      clusterIP: '10.96.0.15',
      ports: [port(80, { name: 'http', nodePort: 30080 })],
    });
    await apply(thief, endpointsOf('thief', [p3]));
    const w1Proxy = proxies.get('w1')!;
    expect(
      await metric(w1Proxy, 'flotilla_kube_proxy_input_problems_total'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      w1Proxy.logs.some((l) => l.includes('NodePort 30080/tcp is already used by Service demo/np')),
    ).toBe(true);
    // One Warning per node, about the Service that lost, as kubectl shows it.
    const events = await eventsAbout('demo', 'Service', 'thief', ['w1', 'w2']);
    expect(events).toHaveLength(2);
    for (const e of events) {
      expect(e).toMatchObject({
        type: 'Warning',
        reason: KUBE_PROXY_EVENT_REASONS.serviceConflict,
        action: 'SyncProxyRules',
        regarding: { kind: 'Service', namespace: 'demo', name: 'thief', uid: thief.metadata.uid },
      });
      expect(e.note).toContain('NodePort 30080/tcp is already used by Service demo/np');
    }
    const table = await kubectl('get', 'events', '-n', 'demo');
    expect(table).toMatch(/Warning\s+KubeProxyServiceConflict\s+service\/thief\s+.*30080/);
    const seen = counts(answeredBy(await probe(lab, ext.netns, 'tcp', w1.ip, 30080, 30)));
    expect(Object.keys(seen).sort()).toEqual(['p1', 'p2', 'p3']);
    await remove(thief);
  });

  it('an EndpointSlice with a bad address: that endpoint is left out with an event about the slice, the others serve', async () => {
    const odd = service('demo', 'odd', {
      clusterIP: '10.96.0.16',
      ports: [port(80, { name: 'http' })],
    });
    const bad = slice(
      'demo',
      'odd',
      [{ ip: p1.ip }, { ip: '10.77.1.999' }, { ip: 'fd00::1' }],
      [{ name: 'http', port: 8080 }],
    );
    await apply(odd, bad);
    expect(answeredBy(await probe(lab, c1.netns, 'tcp', '10.96.0.16', 80, 10))).toEqual(
      Array(10).fill('p1'),
    );
    expect(
      proxies
        .get('w1')!
        .logs.some((l) => l.includes('endpoint address \\"10.77.1.999\\" is not an IPv4')),
    ).toBe(true);
    const events = await eventsAbout('demo', 'EndpointSlice', bad.metadata.name!, ['w1', 'w2']);
    expect(events.map((e) => e.reason)).toEqual([
      KUBE_PROXY_EVENT_REASONS.invalidEndpointSlice,
      KUBE_PROXY_EVENT_REASONS.invalidEndpointSlice,
    ]);
    // Two bad addresses, two problems, one event per node (the second occurrence is its series).
    expect(events.map((e) => e.note).join('\n')).toContain('"10.77.1.999" is not an IPv4');
    // The other Services still answer.
    expect(
      Object.keys(
        counts(answeredBy(await probe(lab, c1.netns, 'tcp', '10.96.0.10', 80, 30))),
      ).sort(),
    ).toEqual(['p1', 'p2', 'p3']);
  });

  it('nft failing: the last good ruleset stays, the failure is counted, logged with its stderr and an event about the Node; the retry applies', async () => {
    const flag = join(tmp, 'nft-broken');
    const wrapper = join(tmp, 'nft-wrapper.sh');
    writeFileSync(
      wrapper,
      `#!/bin/sh\nif [ -e ${flag} ]; then echo "Error: Could not process rule: Operation not supported (nf_tables module missing)" >&2; exit 1; fi\nexec nft "$@"\n`,
      { mode: 0o755 },
    );
    await stopProxy(w1);
    const w1Proxy = startProxy(w1, wrapper);
    await settle();
    writeFileSync(flag, '');
    give(endpointsOf('web', [p3]));
    await waitFor('a failed sync', async () =>
      (await metric(w1Proxy, 'kubeproxy_sync_proxy_rules_nftables_sync_failures_total')) >= 1
        ? true
        : undefined,
    );
    const failed = w1Proxy.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => String(l.msg).startsWith('nftables sync failed'));
    expect(failed?.stderr).toContain('nf_tables module missing');
    const [event] = await eventsAbout('default', 'Node', 'w1', ['w1']);
    expect(event).toMatchObject({
      type: 'Warning',
      reason: KUBE_PROXY_EVENT_REASONS.syncFailed,
      regarding: { kind: 'Node', name: 'w1' },
    });
    expect(event.note).toContain('nf_tables module missing');
    // The kernel still has the last good table: all three endpoints answer.
    const before = counts(answeredBy(await probe(lab, c1.netns, 'tcp', '10.96.0.10', 80, 40)));
    expect(Object.keys(before).sort()).toEqual(['p1', 'p2', 'p3']);
    unlinkSync(flag);
    await settle();
    expect(answeredBy(await probe(lab, c1.netns, 'tcp', '10.96.0.10', 80, 10))).toEqual(
      Array(10).fill('p3'),
    );
    expect(w1Proxy.logs.some((l) => l.includes('nftables sync recovered'))).toBe(true);
    // w2's nft never failed: no event from it.
    expect((await proxyEvents('default', 'Node', 'w2')).length).toBe(0);
  });

  it('--cleanup removes the table', async () => {
    const w2Proxy = await stopProxy(w2);
    expect(await w2Proxy.proxier.cleanup()).toBe(true);
    expect(inNs(w2.netns, ['nft', 'list', 'tables'])).not.toContain('kube-proxy');
    expect(await w2Proxy.proxier.cleanup()).toBe(false);
  });
});
