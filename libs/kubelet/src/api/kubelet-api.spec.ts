import { FakeCluster } from '@flotilla/client';
import type { KubeObject } from '@flotilla/api';
import { KubeletApi } from './kubelet-api';
import { FakeNode } from '../testing/fake-node';
import { fanOut } from '../pod/events';
import type { NodeFacts } from '../node/node-facts';
import type { Pod } from '../pod/types';
import { silentLogger } from '../util/logger';

const facts: NodeFacts = {
  capacity: { cpu: '2', memory: '8388608Ki', 'ephemeral-storage': '20971520Ki', pods: '110' },
  allocatable: { cpu: '2', memory: '8286208Ki', 'ephemeral-storage': '20971520Ki', pods: '110' },
  nodeInfo: {
    machineID: 'm',
    systemUUID: 'm',
    bootID: 'b',
    kernelVersion: '6.1.0',
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    containerRuntimeVersion: 'fake://1.0.0',
    kubeletVersion: 'v1.32.0-flotilla',
    kubeProxyVersion: '',
    operatingSystem: 'linux',
    architecture: 'amd64',
  },
  addresses: [
    { type: 'InternalIP', address: '10.231.0.1' },
    { type: 'Hostname', address: 'w1' },
  ],
  allocatableNumbers: { cpuMilli: 2000, memoryBytes: 8 * 2 ** 30, ephemeralStorageBytes: 2 ** 34 },
};

interface Cond {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

type Loose = Record<string, unknown> & {
  conditions: Cond[];
  containerStatuses: unknown[];
  capacity: unknown;
  nodeInfo: Record<string, unknown>;
  phase: string;
  podIP: string;
  renewTime: string;
};

/** status, spec or an event read without a schema. */
function loose(v: unknown): Loose {
  return v as Loose;
}

function podFor(node: string, name: string, extra: Partial<Pod['spec']> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName: node, containers: [{ name: 'app', image: 'flotilla/demo-web:1' }], ...extra },
  };
}

describe('the kubelet against the API (fake cluster)', () => {
  let cluster: FakeCluster;
  let node: FakeNode;
  let api: KubeletApi;

  beforeEach(async () => {
    cluster = new FakeCluster();
    node = new FakeNode();
    api = new KubeletApi({
      resources: (info, ns) => cluster.resource(info, ns, { client: 'kubelet' }),
      identity: {
        name: 'w1',
        labels: { 'flotilla.io/pool': 'a' },
        taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }],
      },
      facts: () => facts,
      runtimeStatus: () => node.runtime.status(),
      clock: node.clock,
      logger: silentLogger,
    });
    node.overrides = {
      objects: api.objects,
      onStatus: api.onStatus,
      onTerminated: api.onTerminated,
      events: fanOut(node.events, api.events),
      sources: ['api'],
    };
    node.kubelet = node.newKubelet();
    await node.start();
    api.start(node.kubelet);
    await settle();
  });

  afterEach(() => {
    api.stop();
    node.cleanup();
  });

  /** Lets informers, the kubelet and the writers finish what they are doing. */
  async function settle(ms = 0): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r));
      await node.advance(ms / 3);
      await api.flush();
    }
  }

  const pods = () => cluster.resource('pods', 'default');

  it('registers its Node with labels, taints, capacity, nodeInfo and Ready, and holds a Lease', async () => {
    const n = await cluster.resource('nodes').get('w1');
    expect(n.metadata.labels).toMatchObject({
      'kubernetes.io/hostname': 'w1',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'flotilla.io/pool': 'a',
    });
    expect(n.spec).toMatchObject({
      taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }],
    });
    const status = loose(n.status);
    expect(status.capacity).toEqual(facts.capacity);
    expect(status.nodeInfo.containerRuntimeVersion).toBe('fake://1.0.0');
    expect(status.conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'KubeletReady',
    });
    const lease = await cluster.resource('leases', 'kube-node-lease').get('w1');
    const spec = loose(lease.spec);
    expect(spec).toMatchObject({ holderIdentity: 'w1', leaseDurationSeconds: 40 });
    const first = spec.renewTime;
    await settle(10_500);
    const renewed = loose((await cluster.resource('leases', 'kube-node-lease').get('w1')).spec);
    expect(Date.parse(renewed.renewTime)).toBeGreaterThan(Date.parse(first));
  });

  it('reports NotReady while the runtime is down', async () => {
    node.runtime.setDown('connection refused');
    await settle(10_500);
    const n = await cluster.resource('nodes').get('w1');
    const ready = loose(n.status).conditions.find((c) => c.type === 'Ready')!;
    expect(ready).toMatchObject({ status: 'False', reason: 'KubeletNotReady' });
    expect(ready.message).toMatch(/container runtime is down/);
  });

  it('runs the pods bound to it (only those) and writes their status back', async () => {
    await pods().create(podFor('w1', 'mine'));
    await pods().create(podFor('w2', 'theirs'));
    await settle();
    await settle();
    const mine = await pods().get('mine');
    const status = loose(mine.status);
    expect(status.phase).toBe('Running');
    expect(status.podIP).toBe('10.88.0.2');
    expect(status.conditions.find((c) => c.type === 'Ready')!.status).toBe('True');
    expect(status.containerStatuses[0]).toMatchObject({
      name: 'app',
      ready: true,
      restartCount: 0,
    });
    expect((await pods().get('theirs')).status).not.toMatchObject({ phase: 'Running' });
    expect(node.runtime.allContainers()).toHaveLength(1);
    const events = (await cluster.resource('events', 'default').list()).items;
    expect(events.map((e) => loose(e).reason)).toEqual(
      expect.arrayContaining(['Pulling', 'Pulled', 'Created', 'Started']),
    );
    expect(loose(events[0]).involvedObject).toMatchObject({ kind: 'Pod', name: 'mine' });
  });

  it('writes node events (image garbage collection failures) as Events regarding the Node', async () => {
    api.nodeEvents.record({
      type: 'Warning',
      reason: 'FreeDiskSpaceFailed',
      message:
        'Failed to garbage collect required amount of images. Attempted to free 5 bytes, but only found 0 bytes eligible to free.',
    });
    await settle();
    const events = (await cluster.resource('events', 'default').list()).items.map(loose);
    const event = events.find((e) => e.reason === 'FreeDiskSpaceFailed');
    expect(event).toMatchObject({
      type: 'Warning',
      involvedObject: { kind: 'Node', name: 'w1', uid: 'w1' },
      reportingComponent: 'kubelet',
      reportingInstance: 'w1',
    });
    expect(event?.message).toMatch(/^Failed to garbage collect required amount of images/);
  });

  it('reads ConfigMaps and Secrets from the API for env', async () => {
    await cluster.resource('configmaps', 'default').create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'default' },
      data: { greeting: 'hi' },
    });
    await cluster.resource('secrets', 'default').create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sec', namespace: 'default' },
      data: { pw: Buffer.from('s3cret').toString('base64') },
    });
    await pods().create(
      podFor('w1', 'env', {
        containers: [
          {
            name: 'app',
            image: 'flotilla/demo-web:1',
            env: [
              {
                name: 'GREETING',
                valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } },
              },
              { name: 'PW', valueFrom: { secretKeyRef: { name: 'sec', key: 'pw' } } },
            ],
          },
        ],
      }),
    );
    await settle();
    await settle();
    const c = node.runtime.allContainers()[0];
    expect(c).toBeDefined();
    expect((await pods().get('env')).status).toMatchObject({ phase: 'Running' });
  });

  it('stops a pod deleted from the API and keeps pods running while the API is unreachable', async () => {
    await pods().create(podFor('w1', 'a'));
    await pods().create(podFor('w1', 'b'));
    await settle();
    await settle();
    expect(node.runtime.allContainers().filter((c) => c.state === 'running')).toHaveLength(2);

    cluster.partition('kubelet');
    await settle(30_000);
    expect(node.runtime.allContainers().filter((c) => c.state === 'running')).toHaveLength(2);
    cluster.heal('kubelet');
    await settle(15_000);

    await pods().delete('b');
    await settle(5_000);
    await settle(5_000);
    const running = node.runtime.allContainers().filter((c) => c.state === 'running');
    expect(running.map((c) => c.labels['io.kubernetes.pod.name'])).toEqual(['a']);
  });
});

describe('what the kubelet learns from the API for its pods', () => {
  it("hands on its Node's podCIDR and the kube-dns Service ClusterIP as they appear and change", async () => {
    const cluster = new FakeCluster();
    const node = new FakeNode();
    const cidrs: string[] = [];
    const dns: string[] = [];
    const api = new KubeletApi({
      resources: (info, ns) => cluster.resource(info, ns, { client: 'kubelet' }),
      identity: { name: 'w1', labels: {}, taints: [] },
      facts: () => facts,
      runtimeStatus: () => node.runtime.status(),
      clock: node.clock,
      logger: silentLogger,
      onPodCidr: (c) => cidrs.push(c),
      onClusterDns: (ip) => dns.push(ip),
    });
    const settle = async () => {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    };
    try {
      await node.start();
      api.start(node.kubelet);
      await settle();
      const services = cluster.resource('services', 'kube-system');
      await services.create({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kube-dns', namespace: 'kube-system' },
        spec: { clusterIP: '10.96.0.10', ports: [{ port: 53, protocol: 'UDP' }] },
      });
      await services.create({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'other', namespace: 'kube-system' },
        spec: { clusterIP: '10.96.0.11', ports: [{ port: 53, protocol: 'UDP' }] },
      });
      await cluster.resource('nodes').patch('w1', { spec: { podCIDR: '10.244.3.0/24' } }, 'merge');
      await settle();
      await services.delete('kube-dns');
      await settle();
      expect(cidrs).toEqual(['10.244.3.0/24']);
      expect(dns).toEqual(['10.96.0.10', '']);
    } finally {
      api.stop();
      node.cleanup();
    }
  });
});
