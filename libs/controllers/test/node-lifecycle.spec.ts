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
});
