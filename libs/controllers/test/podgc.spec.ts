// The pod garbage collector against a real API server, on a fake clock: finished pods above the
// threshold, pods of nodes that are gone (after the quarantine), terminating pods stuck on a node
// that is out of service.
import { isApiError } from '@flotilla/api';
import { PodGcController, QUARANTINE_MS } from '../src/podgc/podgc-controller';
import { advance, eventually, startHarness, type Harness } from './harness-b';
import { addPod } from './pods-b';

describe('pod garbage collector', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.stop());

  const names = async () =>
    (await h.client.pods('default').list()).items.map((p) => p.metadata.name).sort();
  const exists = async (name: string) => {
    try {
      await h.client.pods('default').get(name);
      return true;
    } catch (err) {
      if (isApiError(err) && err.status.code === 404) return false;
      throw err;
    }
  };

  it('deletes the oldest finished pods above --terminated-pod-gc-threshold', async () => {
    for (const n of ['f1', 'f2', 'f3', 'f4', 'f5']) {
      await addPod(h.client, n, { ip: '10.244.0.2', phase: n === 'f2' ? 'Failed' : 'Succeeded' });
    }
    await addPod(h.client, 'running', { ip: '10.244.0.3' });
    h.run(new PodGcController(), { 'terminated-pod-gc-threshold': '3' });
    await eventually(async () => (await names()).length === 4, 'two finished pods deleted');
    expect(await names()).toEqual(['f3', 'f4', 'f5', 'running']);
  });

  it('force-deletes the pods of a node that is gone, after the quarantine, terminating ones too', async () => {
    await h.client.nodes().create({ metadata: { name: 'n1' } });
    await h.client.nodes().create({ metadata: { name: 'n2' } });
    await addPod(h.client, 'on-n1', { node: 'n1', ip: '10.244.0.4' });
    await addPod(h.client, 'leaving-n1', { node: 'n1', ip: '10.244.0.5' });
    await addPod(h.client, 'on-n2', { node: 'n2', ip: '10.244.0.6' });
    await addPod(h.client, 'on-ghost', { node: 'ghost', ip: '10.244.0.7' });
    // A bound pod being deleted waits for its kubelet (grace period): it is terminating.
    await h.client.pods('default').delete('leaving-n1');
    expect(
      (await h.client.pods('default').get('leaving-n1')).metadata.deletionTimestamp,
    ).toBeTruthy();
    const run = h.run(new PodGcController());
    await advance(h.clock, QUARANTINE_MS - 5000, 5000);
    // Still within the quarantine: nothing goes.
    expect(await exists('on-ghost')).toBe(true);
    await h.client.nodes().delete('n1');
    await eventually(async () => {
      await advance(h.clock, 20_000, 5000);
      return (
        !(await exists('on-ghost')) && !(await exists('on-n1')) && !(await exists('leaving-n1'))
      );
    }, 'pods of ghost and n1 deleted');
    expect(await names()).toEqual(['on-n2']);
    expect(run.logs.filter((l) => l.level !== 'info')).toEqual([]);
  });

  it('force-deletes terminating pods on a node not ready and tainted out-of-service', async () => {
    await h.client.nodes().create({
      metadata: { name: 'broken' },
      spec: {
        taints: [
          { key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' },
        ],
      },
    });
    await h.client
      .nodes()
      .patchStatus(
        'broken',
        { status: { conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady' }] } },
        'merge',
      );
    await h.client.nodes().create({ metadata: { name: 'fine' } });
    await addPod(h.client, 'stuck', { node: 'broken', ip: '10.244.0.8' });
    await addPod(h.client, 'slow', { node: 'fine', ip: '10.244.0.9' });
    await h.client.pods('default').delete('stuck');
    await h.client.pods('default').delete('slow');
    h.run(new PodGcController());
    await eventually(async () => !(await exists('stuck')), 'stuck pod deleted');
    // A terminating pod on a node that may still finish it is left to its kubelet.
    await advance(h.clock, 20_000, 5000);
    expect(await exists('slow')).toBe(true);
  });
});
