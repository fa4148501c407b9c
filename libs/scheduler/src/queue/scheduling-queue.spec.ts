// The queue's moves as kube-scheduler's: priority order, back-off doubling to its cap, pods turned
// down waiting for an event their plugins registered (and only such an event), events seen while
// a pod is being tried, gates, and the 5-minute flush.
import { FakeClock } from '@flotilla/client';
import { ActionType, event, NODE_ADD } from '../framework/events';
import type { QueuedPodInfo } from '../framework/interfaces';
import { PrioritySort } from '../plugins/queue-sort';
import { SchedulingGates } from '../plugins/scheduling-gates';
import { NodeResourcesFit } from '../plugins/noderesources/fit';
import { TaintToleration } from '../plugins/taint-toleration';
import { makePod } from '../testing/fixtures';
import { SchedulingQueue } from './scheduling-queue';

function newQueue(clock = new FakeClock()) {
  const sort = new PrioritySort();
  const gates = new SchedulingGates();
  const q = new SchedulingQueue({
    less: (a, b) => sort.less(a, b),
    preEnqueue: (pod) => gates.preEnqueue(pod)?.withPlugin(gates.name) ?? null,
    pluginEvents: new Map([
      ['NodeResourcesFit', new NodeResourcesFit().eventsToRegister()],
      ['TaintToleration', new TaintToleration().eventsToRegister()],
      ['SchedulingGates', gates.eventsToRegister()],
    ]),
    clock,
  });
  return { q, clock };
}

const reject = (q: SchedulingQueue, qpi: QueuedPodInfo, plugin: string) => {
  qpi.unschedulablePlugins = new Set([plugin]);
  q.addUnschedulable(qpi, true);
};

describe('SchedulingQueue', () => {
  let queue: ReturnType<typeof newQueue>;
  beforeEach(() => (queue = newQueue()));
  afterEach(() => queue.q.close());

  it('pops higher priority first, then by arrival', () => {
    const { q, clock } = queue;
    q.add(makePod('low', { priority: 1 }));
    clock.now = () => Date.UTC(2025, 0, 1) + 1;
    q.add(makePod('high', { priority: 100 }));
    q.add(makePod('low2', { priority: 1 }));
    expect([q.popNow(), q.popNow(), q.popNow()].map((p) => p?.podInfo.name)).toEqual([
      'high',
      'low',
      'low2',
    ]);
  });

  it('keeps a pod turned down until an event its plugin registered, then backs it off', async () => {
    const { q, clock } = queue;
    const pod = makePod('p');
    q.add(pod);
    const qpi = q.popNow()!;
    reject(q, qpi, 'NodeResourcesFit');
    expect(q.where(qpi.podInfo.key)).toBe('unschedulable');
    // A toleration change is not something NodeResourcesFit cares about.
    q.moveAllToActiveOrBackoff(
      event('UnscheduledPod', ActionType.UpdatePodToleration, 'PodToleration'),
    );
    expect(q.where(qpi.podInfo.key)).toBe('unschedulable');
    // A node added is: the pod moves, to back-off first (1 s after its first attempt).
    expect(q.moveAllToActiveOrBackoff(NODE_ADD)).toBe(1);
    expect(q.where(qpi.podInfo.key)).toBe('backoff');
    await clock.advance(1000);
    expect(q.where(qpi.podInfo.key)).toBe('active');
  });

  it('sends a pod back at once when a relevant event came while it was being tried', () => {
    const { q } = queue;
    q.add(makePod('p'));
    const qpi = q.popNow()!;
    q.moveAllToActiveOrBackoff(NODE_ADD);
    reject(q, qpi, 'NodeResourcesFit');
    expect(q.where(qpi.podInfo.key)).not.toBe('unschedulable');
  });

  it('doubles the back-off per attempt up to 10 s', () => {
    const { q } = queue;
    q.add(makePod('p'));
    const qpi = q.popNow()!;
    const d = [1, 2, 3, 4, 5, 6].map((attempts) => q.backoffDuration({ ...qpi, attempts }));
    expect(d).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('holds gated pods until their gates are removed', () => {
    const { q } = queue;
    const gated = makePod('g', { schedulingGates: [{ name: 'example.com/wait' }] });
    q.add(gated);
    expect(q.where(gated.metadata.uid!)).toBe('gated');
    expect(q.popNow()).toBeUndefined();
    const open = { ...gated, spec: { ...gated.spec!, schedulingGates: [] } };
    q.update(gated, open);
    expect(q.popNow()?.podInfo.name).toBe('g');
  });

  it('tries an unschedulable pod again after 5 minutes whatever happened', async () => {
    const { q, clock } = queue;
    q.add(makePod('p'));
    const qpi = q.popNow()!;
    reject(q, qpi, 'NodeResourcesFit');
    await clock.advance(4 * 60_000);
    expect(q.where(qpi.podInfo.key)).toBe('unschedulable');
    await clock.advance(90_000);
    expect(q.where(qpi.podInfo.key)).not.toBe('unschedulable');
  });

  it('forgets a deleted pod, even one being tried', () => {
    const { q } = queue;
    const pod = makePod('p');
    q.add(pod);
    const qpi = q.popNow()!;
    q.delete(pod);
    reject(q, qpi, 'NodeResourcesFit');
    expect(q.where(qpi.podInfo.key)).toBeUndefined();
  });
});
