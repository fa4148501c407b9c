// The controller of the README's "Writing a controller", run over the fake API server: the
// pieces of libs/client fit together as documented.
import { cloneJson, findResource, type KubeObject } from '@flotilla/api';
import type { ResourceInfo } from '@flotilla/api';
import type { ResourceOps } from './contract';
import { coreV1EventSink, EventBroadcaster } from './events';
import { objectKey, SharedInformerFactory } from './informer';
import { LeaderElector } from './leaderelection';
import type { Lease } from './rest/types';
import { FakeClock, FakeCluster } from './testing';
import { runWorkers, WorkQueue } from './workqueue';

const KEYS = 'example.flotilla.io/keys';
const CONFIGMAPS = findResource('', 'v1', 'configmaps')!;
const EVENTS = findResource('', 'v1', 'events')!;
const LEASES = findResource('coordination.k8s.io', 'v1', 'leases')!;

interface Client {
  resource<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    namespace?: string,
  ): ResourceOps<T>;
}

/** Annotates every ConfigMap with how many keys it holds. */
function keyCounter(client: Client, clock: FakeClock) {
  const factory = new SharedInformerFactory({
    listerWatcher: (info, ns) => client.resource(info, ns),
    clock,
  });
  const configMaps = factory.informerFor(CONFIGMAPS);
  const queue = new WorkQueue<string>({ name: 'key-counter', clock });
  const enqueue = (o: KubeObject) => queue.add(objectKey(o));
  configMaps.addEventHandler({ onAdd: enqueue, onUpdate: (_old, o) => enqueue(o) });
  const events = new EventBroadcaster({
    sink: coreV1EventSink((ns) => client.resource(EVENTS, ns)),
    clock,
  });
  const recorder = events.newRecorder({ reportingController: 'example.flotilla.io/key-counter' });

  async function sync(key: string): Promise<void> {
    const cm = configMaps.lister.getByKey(key);
    if (!cm) return; // deleted since it was queued: nothing to do
    const want = String(Object.keys((cm.data as object | undefined) ?? {}).length);
    if (cm.metadata.annotations?.[KEYS] === want) return; // already right
    const next = cloneJson(cm); // cached objects are frozen
    next.metadata.annotations = { ...next.metadata.annotations, [KEYS]: want };
    // update carries metadata.resourceVersion: 409 if the cache was stale, and the queue retries
    await client.resource(CONFIGMAPS, cm.metadata.namespace).update(next);
    recorder.eventf(cm, undefined, 'Normal', 'Counted', 'Annotate', 'counted %s keys', want);
  }

  const elector = new LeaderElector({
    leases: client.resource<Lease>(LEASES, 'kube-system'),
    leaseName: 'key-counter',
    clock,
    callbacks: {
      onStartedLeading: async (signal) => {
        factory.start();
        await factory.waitForCacheSync({ signal });
        signal.addEventListener('abort', () => queue.shutDown());
        await runWorkers(queue, 2, sync);
      },
    },
  });
  return { elector, queue, events, factory };
}

describe('writing a controller (README example)', () => {
  it('annotates ConfigMaps through informer → queue → sync with a precondition → events', async () => {
    const clock = new FakeClock();
    const cluster = new FakeCluster({ clock });
    const cms = cluster.resource('configmaps', 'default');
    await cms.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a' },
      data: { x: '1', y: '2' },
    });
    const c = keyCounter({ resource: (info, ns) => cluster.resource(info, ns) }, clock);
    void c.elector.run();
    await clock.advance(100);
    expect((await cms.get('a')).metadata.annotations?.[KEYS]).toBe('2');
    await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' }, data: {} });
    await clock.advance(100);
    expect((await cms.get('b')).metadata.annotations?.[KEYS]).toBe('0');
    await c.events.flush();
    const notes = (await cluster.resource('events', 'default').list()).items.map((e) => e.message);
    expect(notes.sort()).toEqual(['counted 0 keys', 'counted 2 keys']);
    const stopped = c.elector.stop();
    await clock.advance(1000);
    await stopped;
    expect(c.queue.shuttingDown).toBe(true);
    c.factory.shutdown();
    c.events.shutdown();
  });
});
