import { ApiError, type KubeObject } from '@flotilla/api';
import { FakeClock, FakeCluster, settle } from '../testing';
import { DeletedFinalStateUnknown, finalStateOf } from './deleted-final-state';
import { SharedInformerFactory } from './factory';
import { NAMESPACE_INDEX, NODE_NAME_INDEX, podsByNodeName } from './indexer';
import { SharedInformer, type ResourceEventHandler } from './shared-informer';
import { stripManagedFields } from './transform';

const cm = (
  name: string,
  data: Record<string, string> = {},
  labels: Record<string, string> = {},
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data,
});

const pod = (name: string, nodeName?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...(nodeName ? { nodeName } : {}) },
});

/** Every notification as "type name rv", so runs can be compared with what the server did. */
function recorder(): { log: string[]; handler: ResourceEventHandler } {
  const log: string[] = [];
  const line = (t: string, o: KubeObject) =>
    `${t} ${o.metadata.name} ${o.metadata.resourceVersion}`;
  return {
    log,
    handler: {
      onAdd: (o) => log.push(line('add', o)),
      onUpdate: (_old, o) => log.push(line('update', o)),
      onDelete: (o) =>
        log.push(
          o instanceof DeletedFinalStateUnknown ? line('delete-unknown', o.obj) : line('delete', o),
        ),
    },
  };
}

describe('SharedInformer', () => {
  let clock: FakeClock;
  let cluster: FakeCluster;

  beforeEach(() => {
    clock = new FakeClock();
    cluster = new FakeCluster({ clock });
  });

  function informerOn(
    resource: string,
    opts: ConstructorParameters<typeof SharedInformer>[1] = {},
    client = 'informer',
  ) {
    return new SharedInformer(cluster.resource(resource, undefined, { client }), {
      clock,
      random: () => 0,
      ...opts,
    });
  }

  it('lists in pages, fills the cache, tells handlers and reports synced', async () => {
    const ops = cluster.resource('configmaps', 'default');
    for (const n of ['a', 'b', 'c', 'd', 'e']) await ops.create(cm(n));
    const informer = informerOn('configmaps', { pageSize: 2 });
    const initial: boolean[] = [];
    const { log, handler } = recorder();
    informer.addEventHandler({
      ...handler,
      onAdd: (o, first) => (handler.onAdd!(o, first), initial.push(first)),
    });
    expect(informer.hasSynced()).toBe(false);
    informer.start();
    expect(await informer.waitForSync()).toBe(true);
    expect(cluster.callCount('list')).toBe(3);
    expect(log.map((l) => l.split(' ')[1])).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(initial.every(Boolean)).toBe(true);
    expect(informer.lister.list()).toHaveLength(5);
    expect(informer.lister.get('c', 'default')?.metadata.name).toBe('c');
    informer.stop();
  });

  it('follows creates, updates and deletes through the watch', async () => {
    const ops = cluster.resource('configmaps', 'default');
    const informer = informerOn('configmaps');
    const { log, handler } = recorder();
    informer.addEventHandler(handler);
    informer.start();
    await informer.waitForSync();
    const a = await ops.create(cm('a'));
    const a2 = await ops.update({ ...a, data: { x: '1' } });
    const gone = await ops.delete('a');
    await settle();
    expect(log).toEqual([
      `add a ${a.metadata.resourceVersion}`,
      `update a ${a2.metadata.resourceVersion}`,
      `delete a ${gone!.metadata.resourceVersion}`,
    ]);
    expect(informer.lister.list()).toEqual([]);
    expect(informer.lastResourceVersion).toBe(gone!.metadata.resourceVersion);
    informer.stop();
  });

  it('transforms listed and watched objects before caching them, then freezes them', async () => {
    const ops = cluster.resource('configmaps', 'default');
    const managed = (name: string): KubeObject => ({
      ...cm(name),
      metadata: { name, managedFields: [{ manager: 'kubectl', operation: 'Update' }] },
    });
    await ops.create(managed('listed'));
    const informer = informerOn('configmaps', { transform: stripManagedFields });
    const seen: KubeObject[] = [];
    informer.addEventHandler({ onAdd: (o) => seen.push(o), onUpdate: (_o, n) => seen.push(n) });
    informer.start();
    await informer.waitForSync();
    await ops.create(managed('watched'));
    await settle();
    expect(seen.map((o) => o.metadata.name)).toEqual(['listed', 'watched']);
    for (const o of seen) {
      expect(o.metadata.managedFields).toBeUndefined();
      expect(Object.isFrozen(o.metadata)).toBe(true);
    }
    expect(informer.lister.get('watched', 'default')?.metadata.managedFields).toBeUndefined();
    informer.stop();
  });

  it('caches objects unfrozen when told not to freeze them', async () => {
    const ops = cluster.resource('configmaps', 'default');
    await ops.create(cm('a'));
    const informer = informerOn('configmaps', { freeze: false });
    informer.start();
    await informer.waitForSync();
    await ops.create(cm('b'));
    await settle();
    expect(Object.isFrozen(informer.lister.get('a', 'default'))).toBe(false);
    expect(Object.isFrozen(informer.lister.get('b', 'default'))).toBe(false);
    informer.stop();
  });

  it('resumes dropped watches from the last version seen: no event missed, none twice, no relist', async () => {
    const ops = cluster.resource('configmaps', 'default');
    const informer = informerOn('configmaps');
    const { log, handler } = recorder();
    informer.addEventHandler(handler);
    informer.start();
    await informer.waitForSync();
    const expected: string[] = [];
    for (let i = 0; i < 60; i++) {
      const name = `o${i % 7}`;
      const existing = await ops.get(name).catch(() => undefined);
      if (!existing) {
        const o = await ops.create(cm(name));
        expected.push(`add ${name} ${o.metadata.resourceVersion}`);
      } else if (i % 5 === 0) {
        const o = await ops.delete(name);
        expected.push(`delete ${name} ${o!.metadata.resourceVersion}`);
      } else {
        const o = await ops.update({ ...existing, data: { i: String(i) } });
        expected.push(`update ${name} ${o.metadata.resourceVersion}`);
      }
      // Drop the stream now and then: cleanly, or broken mid-flight with events still queued.
      if (i % 9 === 4) cluster.dropWatches();
      if (i % 11 === 7) cluster.dropWatches({ error: new Error('connection reset') });
      if (i % 3 === 0) await settle();
    }
    await clock.advance(5000);
    expect(log).toEqual(expected);
    expect(cluster.callCount('list')).toBe(1);
    expect(cluster.callCount('watch')).toBeGreaterThan(5);
    expect(
      informer.lister
        .list()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual((await ops.list()).items.map((o) => o.metadata.name).sort());
    informer.stop();
  });

  it('moves its version forward on bookmarks, so a quiet selective watch survives compaction', async () => {
    const ops = cluster.resource('configmaps', 'default');
    await ops.create(cm('mine', {}, { app: 'x' }));
    const informer = informerOn('configmaps', { labelSelector: 'app=x' });
    informer.start();
    await informer.waitForSync();
    for (let i = 0; i < 5; i++) await ops.create(cm(`other${i}`)); // not selected: no events
    cluster.sendBookmarks();
    await settle();
    expect(informer.lastResourceVersion).toBe(String(cluster.revision));
    cluster.compact();
    cluster.dropWatches();
    await clock.advance(5000);
    expect(cluster.callCount('list')).toBe(1); // resumed from the bookmark, no 410, no relist
    informer.stop();
  });

  it('relists on 410 and reports a delete it missed with the last state it knew', async () => {
    const ops = cluster.resource('configmaps', 'default');
    await ops.create(cm('stays'));
    const doomed = await ops.create(cm('doomed', { last: 'state' }));
    const changed = await ops.create(cm('changed'));
    const informer = informerOn('configmaps');
    const { log, handler } = recorder();
    const deletes: unknown[] = [];
    informer.addEventHandler({
      ...handler,
      onDelete: (o) => (handler.onDelete!(o), deletes.push(o)),
    });
    informer.start();
    await informer.waitForSync();
    log.length = 0;

    cluster.partition('informer'); // the watch breaks; while cut off, the informer misses these:
    await ops.delete('doomed');
    const changed2 = await ops.update({ ...changed, data: { v: '2' } });
    const fresh = await ops.create(cm('fresh'));
    cluster.compact(); // ... and the history it would resume from is gone
    await clock.advance(3000);
    cluster.heal('informer');
    await clock.advance(10_000);

    expect(cluster.callCount('list')).toBe(2);
    expect(log.sort()).toEqual(
      [
        `add fresh ${fresh.metadata.resourceVersion}`,
        `delete-unknown doomed ${doomed.metadata.resourceVersion}`,
        `update changed ${changed2.metadata.resourceVersion}`,
      ].sort(),
    );
    const gone = deletes[0] as DeletedFinalStateUnknown;
    expect(gone).toBeInstanceOf(DeletedFinalStateUnknown);
    expect(gone.key).toBe('default/doomed');
    expect(finalStateOf(gone).data).toEqual({ last: 'state' });
    expect(
      informer.lister
        .list()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['changed', 'fresh', 'stays']);
    informer.stop();
  });

  it('backs off between failed lists: 800 ms, then doubling', async () => {
    cluster.failNext(new ApiError(503, 'ServiceUnavailable', 'not ready'), {
      verb: 'list',
      times: 3,
    });
    const errors: number[] = [];
    const informer = informerOn('configmaps', { onError: () => errors.push(clock.now()) });
    const t0 = clock.now();
    informer.start();
    const early = informer.waitForSync({ timeoutMs: 1000 });
    await clock.advance(1000);
    expect(await early).toBe(false);
    await clock.advance(9000);
    expect(informer.hasSynced()).toBe(true);
    const lists = cluster.calls.filter((c) => c.verb === 'list').map((c) => c.at - t0);
    expect(lists).toEqual([0, 800, 2400, 5600]);
    expect(errors).toHaveLength(3);
    informer.stop();
  });

  it('indexes by namespace, by node and by a custom function, and keeps indices current', async () => {
    const informer = informerOn('pods', {
      indexers: {
        [NODE_NAME_INDEX]: podsByNodeName,
        firstLetter: (o) => [o.metadata.name!.slice(0, 1)],
      },
    });
    informer.start();
    await informer.waitForSync();
    const a = cluster.resource('pods', 'a');
    const b = cluster.resource('pods', 'b');
    await a.create(pod('p1', 'n1'));
    await a.create(pod('p2', 'n2'));
    await b.create(pod('q1', 'n1'));
    const unscheduled = await b.create(pod('q2'));
    await settle();
    const names = (objs: KubeObject[]) => objs.map((o) => o.metadata.name).sort();
    expect(names(informer.lister.byIndex(NODE_NAME_INDEX, 'n1'))).toEqual(['p1', 'q1']);
    expect(names(informer.lister.byIndex(NODE_NAME_INDEX, ''))).toEqual(['q2']);
    expect(names(informer.lister.listInNamespace('a'))).toEqual(['p1', 'p2']);
    expect(names(informer.indexer.byIndex(NAMESPACE_INDEX, 'b'))).toEqual(['q1', 'q2']);
    expect(names(informer.lister.byIndex('firstLetter', 'q'))).toEqual(['q1', 'q2']);
    // A pod's node changes only through binding; here it goes and comes back bound.
    await b.delete(unscheduled.metadata.name!);
    await b.create(pod('q2', 'n2'));
    await b.delete('q1');
    const p1 = await a.get('p1');
    await a.update({ ...p1, metadata: { ...p1.metadata, name: 'p1', labels: { moved: 'yes' } } });
    await settle();
    expect(names(informer.lister.byIndex(NODE_NAME_INDEX, 'n2'))).toEqual(['p2', 'q2']);
    expect(names(informer.lister.byIndex(NODE_NAME_INDEX, 'n1'))).toEqual(['p1']);
    expect(informer.lister.byIndex(NODE_NAME_INDEX, '')).toEqual([]);
    expect(informer.indexer.indexValues(NODE_NAME_INDEX).sort()).toEqual(['n1', 'n2']);
    expect(names(informer.lister.listInNamespace('a', 'moved=yes'))).toEqual(['p1']);
    informer.stop();
  });

  it('skips and reports an object its index function chokes on, and keeps watching', async () => {
    const errors: unknown[] = [];
    const informer = informerOn('configmaps', {
      indexers: {
        byOwner: (o) => {
          if (o.metadata.name === 'bad') throw new Error('no owner');
          return [o.metadata.name!];
        },
      },
      onError: (e) => errors.push(e),
    });
    informer.start();
    await informer.waitForSync();
    const ops = cluster.resource('configmaps', 'default');
    await ops.create(cm('bad'));
    await ops.create(cm('good'));
    await settle();
    expect(errors.map(String)).toEqual(['Error: no owner']);
    expect(informer.lister.list().map((o) => o.metadata.name)).toEqual(['good']);
    expect(informer.lister.byIndex('byOwner', 'good')).toHaveLength(1);
    informer.stop();
  });

  it('hands out frozen objects: changing one throws instead of corrupting the cache', async () => {
    await cluster.resource('configmaps', 'default').create(cm('a', { k: 'v' }));
    const informer = informerOn('configmaps');
    informer.start();
    await informer.waitForSync();
    const o = informer.lister.get('a', 'default')!;
    expect(() => {
      (o.data as Record<string, string>).k = 'changed';
    }).toThrow(TypeError);
    expect(informer.lister.get('a', 'default')!.data).toEqual({ k: 'v' });
    informer.stop();
  });

  it('re-delivers the cache to a handler that asked for resync', async () => {
    await cluster.resource('configmaps', 'default').create(cm('a'));
    const informer = informerOn('configmaps');
    const resyncs: number[] = [];
    informer.addEventHandler(
      { onUpdate: (o, n) => o === n && resyncs.push(clock.now()) },
      { resyncMs: 30_000 },
    );
    informer.start();
    await informer.waitForSync();
    await clock.advance(95_000);
    expect(resyncs).toHaveLength(3);
    informer.stop();
  });
});

describe('SharedInformerFactory', () => {
  it('opens one watch for two handlers, and replays the cache to a handler added late', async () => {
    const clock = new FakeClock();
    const cluster = new FakeCluster({ clock });
    const ops = cluster.resource('configmaps', 'default');
    await ops.create(cm('a'));
    const factory = new SharedInformerFactory({
      listerWatcher: (info, ns) => cluster.resource(info, ns),
      clock,
      random: () => 0,
    });
    const info = cluster.resource('configmaps').info;
    const first = recorder();
    factory.informerFor(info).addEventHandler(first.handler);
    factory.start();
    expect(await factory.waitForCacheSync()).toBe(true);
    await ops.create(cm('b'));
    await settle();

    const second = recorder();
    const late = factory.informerFor(info);
    const registration = late.addEventHandler(second.handler);
    expect(registration.hasSynced()).toBe(true);
    expect(second.log.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['add a', 'add b']);
    await ops.create(cm('c'));
    await settle();
    expect(first.log.map((l) => l.split(' ')[1])).toEqual(['a', 'b', 'c']);
    expect(second.log.map((l) => l.split(' ')[1])).toEqual(['a', 'b', 'c']);
    expect(factory.size).toBe(1);
    expect(cluster.callCount('list')).toBe(1);
    expect(cluster.openWatches('configmaps')).toBe(1);

    // Another namespace or selector is another cache, with its own watch.
    factory.informerFor(info, { namespace: 'other' });
    factory.informerFor(info, { labelSelector: 'app=x' });
    await settle();
    expect(factory.size).toBe(3);
    expect(cluster.openWatches('configmaps')).toBe(3);
    factory.shutdown();
    await settle();
    expect(cluster.openWatches('configmaps')).toBe(0);
  });
});
