// The cache's assumed pods: counted at once, taken back when the binding fails, replaced by the
// API's object when the watch confirms it.
import { PodInfo } from '../framework/pod-info';
import { makeNode, makePod, onNode } from '../testing/fixtures';
import { CacheError, SchedulerCache } from './scheduler-cache';

describe('SchedulerCache', () => {
  const setup = () => {
    const cache = new SchedulerCache();
    cache.addNode(makeNode('n1', { cpu: '2' }));
    const pod = onNode(makePod('p', {}, {}, { cpu: '1' }), 'n1');
    return { cache, pod };
  };

  it('assume counts the pod on its node before any binding', () => {
    const { cache, pod } = setup();
    cache.assumePod(new PodInfo(pod));
    expect(cache.isAssumed(pod.metadata.uid!)).toBe(true);
    expect(cache.get('n1')!.requested.milliCPU).toBe(1000);
    expect(() => cache.assumePod(new PodInfo(pod))).toThrow(CacheError);
  });

  it('forget takes an assumed pod back (a failed binding)', () => {
    const { cache, pod } = setup();
    cache.assumePod(new PodInfo(pod));
    cache.forgetPod(pod.metadata.uid!);
    expect(cache.podCount).toBe(0);
    expect(cache.get('n1')!.requested.milliCPU).toBe(0);
  });

  it('the watch confirms an assumed pod once, and forget no longer applies', () => {
    const { cache, pod } = setup();
    cache.assumePod(new PodInfo(pod));
    cache.addPod(pod);
    expect(cache.isAssumed(pod.metadata.uid!)).toBe(false);
    expect(cache.get('n1')!.pods).toHaveLength(1);
    cache.forgetPod(pod.metadata.uid!);
    expect(cache.get('n1')!.requested.milliCPU).toBe(1000);
    cache.removePod(pod);
    expect(cache.get('n1')!.pods).toHaveLength(0);
  });

  it('the watch moves a pod the API bound elsewhere to that node', () => {
    const { cache, pod } = setup();
    cache.addNode(makeNode('n2', { cpu: '2' }));
    cache.assumePod(new PodInfo(pod));
    cache.addPod(onNode(pod, 'n2'));
    expect(cache.get('n1')!.pods).toHaveLength(0);
    expect(cache.get('n2')!.pods).toHaveLength(1);
  });

  it('orders nodes zone by zone, so the first looked at span the zones', () => {
    const cache = new SchedulerCache();
    for (const [name, zone] of [
      ['a1', 'a'],
      ['a2', 'a'],
      ['b1', 'b'],
      ['b2', 'b'],
    ])
      cache.addNode(makeNode(name, { labels: { 'topology.kubernetes.io/zone': zone } }));
    expect(cache.nodeInfos().map((n) => n.name)).toEqual(['a1', 'b1', 'a2', 'b2']);
  });
});
