// The scheduler against a real API server in process: bindings, the Pending reasons users read,
// event-driven retries, preemption, and pods for another scheduler left alone.
import {
  coreV1EventSink,
  EventBroadcaster,
  type KubeClient,
  type SharedInformerFactory,
} from '@flotilla/client';
import { startTestApi, type TestApi } from '@flotilla/testing';
import { Registry } from 'prom-client';
import type { Node, Pod } from '../api/types';
import { Scheduler } from './scheduler';

function node(
  name: string,
  cpu = '4',
  extra: Partial<Node['spec']> = {},
  labels: Record<string, string> = {},
): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    spec: { ...extra },
    status: {
      capacity: { cpu, memory: '8Gi', pods: '110' },
      allocatable: { cpu, memory: '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  } as Node;
}

function pod(name: string, cpu = '100m', spec: Partial<Pod['spec']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: {
      containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu } } }],
      ...spec,
    },
  } as Pod;
}

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Scheduler over a real API server', () => {
  let api: TestApi;
  let client: KubeClient;
  let scheduler: Scheduler;
  let stop: AbortController;
  let running: Promise<void>;
  let events: EventBroadcaster;
  let registry: Registry;
  let informers: SharedInformerFactory;

  beforeEach(async () => {
    api = await startTestApi();
    client = api.client;
    registry = new Registry();
    events = new EventBroadcaster({
      sink: coreV1EventSink((ns) => client.forResource('events', '', ns)),
    });
    scheduler = new Scheduler({
      client,
      informers: (informers = Scheduler.informerFactory(client)),
      recorder: events.newRecorder({ reportingController: 'default-scheduler' }),
      registry,
    });
    stop = new AbortController();
    running = scheduler.run(stop.signal);
  });

  afterEach(async () => {
    stop.abort();
    await running;
    events.shutdown();
    await api.stop();
  });

  const get = (name: string) => client.pods('default').get(name);
  const boundNode = (name: string) =>
    until(`${name} bound`, async () => (await get(name)).spec?.nodeName || undefined);
  const failedCondition = (name: string, contains: string) =>
    until(`${name} PodScheduled=False with "${contains}"`, async () => {
      const c = (await get(name)).status?.conditions?.find((x) => x.type === 'PodScheduled');
      return c?.status === 'False' && c.message?.includes(contains) ? c : undefined;
    });

  it('binds pods to nodes with room, spreading them (LeastAllocated) and honouring nodeSelector', async () => {
    await client.nodes().create(node('n1', '2', {}, { disk: 'ssd' }));
    await client.nodes().create(node('n2', '2'));
    await client.pods('default').create(pod('a', '1'));
    await client.pods('default').create(pod('b', '1'));
    await client.pods('default').create(pod('ssd', '100m', { nodeSelector: { disk: 'ssd' } }));
    const a = await boundNode('a');
    const b = await boundNode('b');
    expect(new Set([a, b])).toEqual(new Set(['n1', 'n2']));
    expect(await boundNode('ssd')).toBe('n1');
    const scheduled = (await client.pods('default').get('a')).status?.conditions?.find(
      (c) => c.type === 'PodScheduled',
    );
    expect(scheduled?.status).toBe('True');
    expect(await registry.getSingleMetricAsString('scheduler_schedule_attempts_total')).toContain(
      'scheduler_schedule_attempts_total{result="scheduled",profile="default-scheduler"} 3',
    );
  });

  it('caches pods without managedFields; binding and status writes keep the stored owners', async () => {
    await client.nodes().create(node('n1', '2'));
    await client.pods('default').create(pod('lean'), { fieldManager: 'kubectl-run' });
    expect(await boundNode('lean')).toBe('n1');
    const cached = await until('the bound pod in the cache', async () => {
      const p = informers.informerFor<Pod>(client.pods().info).lister.get('lean', 'default');
      return p?.spec?.nodeName ? p : undefined;
    });
    expect(cached.metadata).not.toHaveProperty('managedFields');
    expect(Object.isFrozen(cached.metadata)).toBe(true);
    const stored = await get('lean');
    const managers = (stored.metadata.managedFields ?? []).map(
      (e) => (e as { manager: string }).manager,
    );
    expect(managers).toContain('kubectl-run');
  });

  it('explains a pod that fits nowhere in kube-scheduler words, then binds it when a node is added', async () => {
    await client.nodes().create(node('small', '1'));
    await client.nodes().create(
      node('tainted', '8', {
        taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
      }),
    );
    await client.pods('default').create(pod('big', '4'));
    const c = await failedCondition('big', '0/2 nodes are available');
    expect(c.reason).toBe('Unschedulable');
    expect(c.message).toBe(
      '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}. ' +
        'preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..',
    );
    const ev = await until('FailedScheduling event', async () => {
      const list = await client.forResource('events', '', 'default').list();
      // core/v1 events as kubectl describe reads them
      return list.items.find((e) => (e as { reason?: string }).reason === 'FailedScheduling');
    });
    expect((ev as { message?: string }).message).toContain('Insufficient cpu');
    expect(scheduler.queue.where((await get('big')).metadata.uid!)).toBe('unschedulable');
    // A node with room: the NodeAdd event moves the pod at once (the 5 min flush is far away).
    await client.nodes().create(node('roomy', '8'));
    expect(await boundNode('big')).toBe('roomy');
  });

  it('leaves pods for another scheduler alone, and keeps scheduling others past bad input', async () => {
    await client.nodes().create(node('n1', '2'));
    await client.pods('default').create(pod('other', '100m', { schedulerName: 'my-scheduler' }));
    await client.pods('default').create(pod('huge', '64'));
    await client.pods('default').create(pod('ok', '100m'));
    expect(await boundNode('ok')).toBe('n1');
    const c = await failedCondition('huge', 'Insufficient cpu');
    expect(c.message).toContain('0/1 nodes are available: 1 Insufficient cpu.');
    const other = await get('other');
    expect(other.spec?.nodeName).toBeUndefined();
    expect(other.status?.conditions ?? []).toEqual([]);
  });

  it('preempts a lower-priority pod and binds the preemptor to the node it nominated', async () => {
    await client.forResource('priorityclasses', 'scheduling.k8s.io').create({
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'high' },
      value: 1000,
    } as never);
    await client.nodes().create(node('only', '2'));
    await client.pods('default').create(pod('low', '1500m'));
    expect(await boundNode('low')).toBe('only');
    await client.pods('default').create(pod('high', '1500m', { priorityClassName: 'high' }));
    // The victim is asked to terminate; a kubelet would finish it (here: the test does).
    await until('low terminating', async () =>
      (await get('low')).metadata.deletionTimestamp ? true : undefined,
    );
    expect((await get('high')).status?.nominatedNodeName).toBe('only');
    await client.pods('default').delete('low', { gracePeriodSeconds: 0 });
    expect(await boundNode('high')).toBe('only');
    await until('low deleted', async () => {
      const list = await client.pods('default').list();
      return list.items.some((p) => p.metadata.name === 'low') ? undefined : true;
    });
    expect(await registry.getSingleMetricAsString('scheduler_preemption_attempts_total')).toMatch(
      / [1-9]/,
    );
  });
});
