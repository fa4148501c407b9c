// The node lifecycle controller against a real API server, with a fleet of fake nodes whose
// Leases the test renews on a fake clock, or stops renewing: one node, a whole zone, all.
import { isApiError } from '@flotilla/api';
import type { Node, Pod } from '@flotilla/client';
import { NodeLifecycleController } from '../src/node-lifecycle/node-lifecycle-controller';
import { eventReasons, eventually, startHarness, type Harness } from './harness-b';
import { Fleet, readyOf, taintsOf } from './fleet-b';

const UNREACHABLE = 'node.kubernetes.io/unreachable';
const NOT_READY = 'node.kubernetes.io/not-ready';
const FLAGS = {
  'node-monitor-period': '1s',
  'node-monitor-grace-period': '10s',
  'node-startup-grace-period': '15s',
};

describe('node lifecycle controller', () => {
  let h: Harness;
  let fleet: Fleet;

  beforeEach(async () => {
    h = await startHarness();
    fleet = new Fleet(h.client, h.clock);
  });
  afterEach(() => h.stop());

  const node = (name: string): Promise<Node> => h.client.nodes().get(name);
  const pod = async (name: string): Promise<Pod | undefined> => {
    try {
      return await h.client.pods('default').get(name);
    } catch (err) {
      if (isApiError(err) && err.status.code === 404) return undefined;
      throw err;
    }
  };

  it('a silent node: Unknown, unreachable taints, pods not ready, evicted after tolerationSeconds', async () => {
    for (const n of ['n1', 'n2', 'n3']) await fleet.addNode(n, { zone: 'a' });
    const unreachableFor = (s?: number) => [
      {
        key: UNREACHABLE,
        operator: 'Exists' as const,
        effect: 'NoExecute' as const,
        ...(s === undefined ? {} : { tolerationSeconds: s }),
      },
    ];
    await fleet.addPod('short', 'n3', { tolerations: unreachableFor(30) });
    await fleet.addPod('forever', 'n3', { tolerations: unreachableFor() });
    await fleet.addPod('elsewhere', 'n1', { tolerations: unreachableFor(30) });
    h.run(new NodeLifecycleController(), FLAGS);

    // n3 stops renewing its Lease; n1 and n2 keep on.
    await fleet.run(12_000, ['n1', 'n2']);
    const n3 = await eventually(async () => {
      const n = await node('n3');
      return readyOf(n) === 'Unknown' && taintsOf(n).length === 2 && n;
    }, 'n3 Unknown with both unreachable taints');
    expect(n3.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
    });
    expect(taintsOf(n3)).toEqual([`${UNREACHABLE}:NoExecute`, `${UNREACHABLE}:NoSchedule`]);
    expect(readyOf(await node('n1'))).toBe('True');
    expect(taintsOf(await node('n1'))).toEqual([]);
    await eventually(
      async () => readyOf((await pod('short'))!) === 'False',
      'short marked not ready',
    );
    expect(readyOf((await pod('forever'))!)).toBe('False');
    expect(readyOf((await pod('elsewhere'))!)).toBe('True');

    // 30 s after the taint the pod that tolerates it for 30 s is deleted; the others stay.
    await fleet.run(25_000, ['n1', 'n2']);
    expect((await pod('short'))!.metadata.deletionTimestamp).toBeUndefined();
    await fleet.run(7_000, ['n1', 'n2']);
    const evicted = await eventually(async () => {
      const p = await pod('short');
      return p?.metadata.deletionTimestamp ? p : undefined;
    }, 'short deleted');
    expect(evicted.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'DeletionByTaintManager',
    });
    expect((await pod('forever'))!.metadata.deletionTimestamp).toBeUndefined();
    expect((await pod('elsewhere'))!.metadata.deletionTimestamp).toBeUndefined();
    expect(await eventReasons(h.client, { metadata: { name: 'n3' } })).toEqual(
      expect.arrayContaining(['RegisteredNode', 'NodeNotReady']),
    );

    // n3 comes back: Ready again, and its taints go.
    await fleet.postStatus('n3', 'True');
    await fleet.run(3_000, ['n1', 'n2', 'n3']);
    await eventually(async () => taintsOf(await node('n3')).length === 0, 'n3 untainted');
  });

  const noExecute = async (names: string[]) => {
    const out: string[] = [];
    for (const n of names) {
      if (taintsOf(await node(n)).some((t) => t.endsWith(':NoExecute'))) out.push(n);
    }
    return out;
  };

  it('paces evictions per zone: one node per 1/--node-eviction-rate seconds', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `z${i}`);
    for (const n of names) await fleet.addNode(n, { zone: 'a' });
    h.run(new NodeLifecycleController(), { ...FLAGS, 'node-eviction-rate': '0.1' });
    const down = names.slice(0, 4); // 40 %: below --unhealthy-zone-threshold (55 %)
    const up = names.slice(4);
    await fleet.run(12_000, up);
    await eventually(async () => (await noExecute(down)).length === 1, 'first node tainted');
    await fleet.run(5_000, up);
    expect(await noExecute(down)).toHaveLength(1);
    await fleet.run(6_000, up);
    await eventually(async () => (await noExecute(down)).length === 2, 'second node, 10 s later');
    await fleet.run(20_000, up);
    await eventually(async () => (await noExecute(down)).length === 4, 'all four');
    expect(await noExecute(up)).toEqual([]);
  });

  it('stops evicting in a small zone that is mostly down; a large one goes at the secondary rate', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `p${i}`);
    for (const n of names) await fleet.addNode(n, { zone: 'a' });
    const flags = { ...FLAGS, 'large-cluster-size-threshold': '10' };
    const run = h.run(new NodeLifecycleController(), flags);
    const up = names.slice(0, 2); // 4 of 6 down: 67 % ≥ 55 %, partial disruption
    await fleet.run(40_000, up);
    await eventually(async () => readyOf(await node('p5')) === 'Unknown', 'p5 Unknown');
    expect(await noExecute(names)).toEqual([]);
    expect(
      run.logs.some((l) => l.msg === 'zone changed state' && l.fields?.to === 'PartialDisruption'),
    ).toBe(true);

    // The same outage in a zone larger than the threshold: 0.01 nodes/s, so one at first and
    // the next only 100 s later.
    await run.stop();
    const big = h.run(new NodeLifecycleController(), {
      ...flags,
      'large-cluster-size-threshold': '5',
      'secondary-node-eviction-rate': '0.01',
    });
    await fleet.run(15_000, up);
    await eventually(async () => (await noExecute(names)).length === 1, 'one node tainted');
    await fleet.run(60_000, up);
    expect(await noExecute(names)).toHaveLength(1);
    await fleet.run(45_000, up);
    await eventually(async () => (await noExecute(names)).length === 2, 'a second, 100 s later');
    expect(big.logs.some((l) => l.level === 'error')).toBe(false);
  });

  it('a whole zone going silent is evicted; all zones silent at once is not (master disruption)', async () => {
    const zones: Record<string, string[]> = { a: ['a1', 'a2'], b: ['b1', 'b2'], c: ['c1', 'c2'] };
    for (const [zone, ns] of Object.entries(zones))
      for (const n of ns) await fleet.addNode(n, { zone });
    for (const n of Object.values(zones).flat()) {
      await fleet.addPod(`pod-${n}`, n, {
        tolerations: [
          { key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 },
        ],
      });
    }
    const run = h.run(new NodeLifecycleController(), { ...FLAGS, 'node-eviction-rate': '1' });
    const alive = [...zones.b, ...zones.c];

    // Zone a goes dark alone: its nodes are tainted (at the normal rate) and their pods evicted.
    await fleet.run(20_000, alive);
    await eventually(async () => (await noExecute(zones.a)).length === 2, 'zone a tainted');
    await eventually(
      async () => (await pod('pod-a1'))?.metadata.deletionTimestamp !== undefined,
      'pod on a1 evicted',
    );
    expect((await pod('pod-b1'))!.metadata.deletionTimestamp).toBeUndefined();

    // Then every node goes silent at once: no zone is tainted, nothing more is evicted, and the
    // taints zone a had are lifted (Kubernetes does the same: this is the masters' problem).
    await fleet.run(25_000, []);
    await eventually(
      () => run.logs.some((l) => l.msg.startsWith('every node is not ready')),
      'master disruption mode',
    );
    await eventually(
      async () => (await noExecute(Object.values(zones).flat())).length === 0,
      'no NoExecute taints',
    );
    await fleet.run(30_000, []);
    expect(await noExecute(Object.values(zones).flat())).toEqual([]);
    for (const n of [...zones.b, ...zones.c]) {
      const p = (await pod(`pod-${n}`))!;
      expect(p.metadata.deletionTimestamp).toBeUndefined();
      expect(readyOf(p)).toBe('False'); // not ready, so Services stop sending to it
    }
    for (const n of Object.values(zones).flat()) expect(readyOf(await node(n))).toBe('Unknown');

    // Zones b and c come back: disruption mode ends, and zone a, still silent (its nodes are
    // Unknown already), is tainted again at the normal rate; b and c are not.
    for (const n of alive) await fleet.postStatus(n, 'True');
    await fleet.run(3_000, alive);
    await eventually(
      () => run.logs.some((l) => l.msg.startsWith('some nodes are ready again')),
      'out of disruption mode',
    );
    await fleet.run(3_000, alive);
    await eventually(async () => (await noExecute(zones.a)).length === 2, 'zone a tainted again');
    expect(await noExecute(alive)).toEqual([]);
  });

  it('a NotReady node gets the not-ready taints; pods go after the default toleration (configured)', async () => {
    await h.stop();
    h = await startHarness({
      api: { defaultTolerationSeconds: { notReady: 20, unreachable: 20 } },
    });
    fleet = new Fleet(h.client, h.clock);
    for (const n of ['r1', 'r2']) await fleet.addNode(n);
    await fleet.addPod('defaulted', 'r2'); // the admission gives it 20 s
    await fleet.addPod('intolerant', 'r2', {
      tolerations: [
        { key: NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 },
      ],
    });
    h.run(new NodeLifecycleController(), FLAGS);
    await fleet.run(2_000, ['r1', 'r2']);
    await fleet.postStatus('r2', 'False'); // the kubelet reports its runtime down, and keeps posting
    await fleet.run(2_000, ['r1', 'r2']);
    await eventually(
      async () =>
        taintsOf(await node('r2')).join() === `${NOT_READY}:NoExecute,${NOT_READY}:NoSchedule`,
      'r2 not-ready taints',
    );
    await eventually(
      async () => (await pod('intolerant'))?.metadata.deletionTimestamp !== undefined,
      'evicted at once',
    );
    // A kubelet that reports its node NotReady is alive and reports its pods itself: the
    // controller marks pods not ready only for a node it found silent (as Kubernetes does).
    expect(readyOf((await pod('defaulted'))!)).toBe('True');
    await fleet.run(15_000, ['r1', 'r2']);
    expect((await pod('defaulted'))!.metadata.deletionTimestamp).toBeUndefined();
    await fleet.run(6_000, ['r1', 'r2']);
    await eventually(
      async () => (await pod('defaulted'))?.metadata.deletionTimestamp !== undefined,
      'evicted after 20 s',
    );
    expect(readyOf(await node('r1'))).toBe('True');
  });

  it('NoSchedule taints follow the conditions and spec.unschedulable, and go when they clear', async () => {
    await fleet.addNode('c1');
    h.run(new NodeLifecycleController(), FLAGS);
    await h.client
      .nodes()
      .patchStatus(
        'c1',
        { status: { conditions: [{ type: 'MemoryPressure', status: 'True' }] } },
        'strategic',
      );
    await h.client.nodes().patch('c1', { spec: { unschedulable: true } }, 'merge');
    await eventually(
      async () =>
        taintsOf(await node('c1')).join() ===
        'node.kubernetes.io/memory-pressure:NoSchedule,node.kubernetes.io/unschedulable:NoSchedule',
      'pressure and unschedulable taints',
    );
    // A taint someone else put there is left alone.
    await h.client.nodes().patch(
      'c1',
      {
        spec: {
          taints: [
            ...(await node('c1')).spec!.taints!,
            { key: 'example.com/gpu', effect: 'NoSchedule' },
          ],
        },
      },
      'merge',
    );
    await h.client
      .nodes()
      .patchStatus(
        'c1',
        { status: { conditions: [{ type: 'MemoryPressure', status: 'False' }] } },
        'strategic',
      );
    await h.client.nodes().patch('c1', { spec: { unschedulable: false } }, 'merge');
    await eventually(
      async () => taintsOf(await node('c1')).join() === 'example.com/gpu:NoSchedule',
      'only the foreign taint left',
    );
  });

  it('a node that never posts status is Unknown after the startup grace period', async () => {
    await h.client.nodes().create({ metadata: { name: 'mute' } });
    await fleet.addNode('talker');
    h.run(new NodeLifecycleController(), FLAGS);
    await fleet.run(10_000, ['talker']);
    expect((await node('mute')).status?.conditions ?? []).toEqual([]);
    await fleet.run(7_000, ['talker']);
    const mute = await eventually(async () => {
      const n = await node('mute');
      return readyOf(n) === 'Unknown' && n;
    }, 'mute Unknown');
    expect(mute.status!.conditions!.map((c) => `${c.type}=${c.status}:${c.reason}`).sort()).toEqual(
      [
        'DiskPressure=Unknown:NodeStatusNeverUpdated',
        'MemoryPressure=Unknown:NodeStatusNeverUpdated',
        'PIDPressure=Unknown:NodeStatusNeverUpdated',
        'Ready=Unknown:NodeStatusNeverUpdated',
      ],
    );
  });

  it('a new leader gives every node a full grace period from its own start', async () => {
    for (const n of ['l1', 'l2', 'l3']) await fleet.addNode(n);
    const first = h.run(new NodeLifecycleController(), FLAGS);
    await fleet.run(6_000, ['l1', 'l2', 'l3']);
    await first.stop(); // the lease is lost; l3 dies while nobody is watching
    await fleet.run(8_000, ['l1', 'l2']);
    h.run(new NodeLifecycleController(), FLAGS);
    // l3 has been silent 8 s already, but the new leader only starts counting now.
    await fleet.run(8_000, ['l1', 'l2']);
    expect(readyOf(await node('l3'))).toBe('True');
    await fleet.run(4_000, ['l1', 'l2']);
    await eventually(async () => readyOf(await node('l3')) === 'Unknown', 'l3 Unknown');
    expect(readyOf(await node('l1'))).toBe('True');
  });

  it('refuses flags that make no sense, naming them', async () => {
    const run = h.run(new NodeLifecycleController(), { 'node-monitor-grace-period': 'forty' });
    await run.finished;
    expect(run.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        fields: {
          err: expect.stringContaining('--node-monitor-grace-period: "forty" is not a duration'),
        },
      }),
    );
  });
});
