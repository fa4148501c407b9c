import { ApiError, type KubeObject } from '@flotilla/api';
import type { WatchEvent } from '../contract';
import { FakeClock, settle } from './fake-clock';
import { FakeCluster } from './fake-cluster';

const cm = (
  name: string,
  labels: Record<string, string> = {},
  data: Record<string, string> = {},
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data,
});

function codeOf(err: unknown): number | undefined {
  return err instanceof ApiError ? err.code : undefined;
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('FakeCluster', () => {
  let clock: FakeClock;
  let cluster: FakeCluster;

  beforeEach(() => {
    clock = new FakeClock();
    cluster = new FakeCluster({ clock, random: () => 0.5 });
  });

  it('creates, reads, updates with a resourceVersion precondition and deletes', async () => {
    const ops = cluster.resource('configmaps', 'default');
    const created = await ops.create(cm('a'));
    expect(created.metadata.namespace).toBe('default');
    expect(created.metadata.uid).toBeDefined();
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(codeOf(await errorOf(ops.create(cm('a'))))).toBe(409);

    const updated = await ops.update({ ...created, data: { k: 'v' } });
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.metadata.resourceVersion),
    );
    const stale = await errorOf(ops.update({ ...created, data: { k: 'w' } }));
    expect(codeOf(stale)).toBe(409);
    expect((stale as ApiError).reason).toBe('Conflict');

    await ops.delete('a');
    expect(codeOf(await errorOf(ops.get('a')))).toBe(404);
    expect(codeOf(await errorOf(ops.delete('a')))).toBe(404);
  });

  it('names objects from generateName', async () => {
    const ops = cluster.resource('configmaps', 'default');
    const o = await ops.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { generateName: 'x-' },
    });
    expect(o.metadata.name).toMatch(/^x-[a-z0-9]{5}$/);
  });

  it('pages a list at one revision even while objects change', async () => {
    const ops = cluster.resource('configmaps', 'default');
    for (const n of ['a', 'b', 'c', 'd', 'e']) await ops.create(cm(n));
    const first = await ops.list({ limit: 2 });
    expect(first.items.map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(first.metadata.remainingItemCount).toBe(3);
    await ops.delete('c');
    await ops.create(cm('f'));
    const second = await ops.list({ limit: 2, continue: first.metadata.continue });
    expect(second.items.map((o) => o.metadata.name)).toEqual(['c', 'd']);
    const third = await ops.list({ limit: 2, continue: second.metadata.continue });
    expect(third.items.map((o) => o.metadata.name)).toEqual(['e']);
    expect(third.metadata.continue).toBeUndefined();
    expect(third.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
  });

  it('selects by label and field, per namespace', async () => {
    await cluster.resource('configmaps', 'a').create(cm('x', { app: 'web' }));
    await cluster.resource('configmaps', 'b').create(cm('y', { app: 'db' }));
    const all = cluster.resource('configmaps');
    expect((await all.list()).items).toHaveLength(2);
    expect(
      (await all.list({ labelSelector: 'app=web' })).items.map((o) => o.metadata.name),
    ).toEqual(['x']);
    expect(
      (await all.list({ fieldSelector: 'metadata.namespace=b' })).items.map((o) => o.metadata.name),
    ).toEqual(['y']);
    expect((await cluster.resource('configmaps', 'a').list()).items).toHaveLength(1);
  });

  it('watches from a resourceVersion, and answers 410 Expired as an ERROR event once compacted', async () => {
    const ops = cluster.resource('configmaps', 'default');
    const a = await ops.create(cm('a'));
    await ops.create(cm('b'));
    const seen: WatchEvent[] = [];
    const w = await ops.watch({ resourceVersion: a.metadata.resourceVersion }, (e) => seen.push(e));
    await ops.delete('a');
    await settle();
    expect(seen.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
      'ADDED b',
      'DELETED a',
    ]);
    w.stop();
    await w.done;

    cluster.compact();
    const errors: WatchEvent[] = [];
    const old = await ops.watch({ resourceVersion: a.metadata.resourceVersion }, (e) =>
      errors.push(e),
    );
    await old.done;
    expect(errors).toHaveLength(1);
    expect(errors[0].type).toBe('ERROR');
    expect(errors[0].object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('starts a watch without a version with the current state, sends bookmarks, and drops on demand', async () => {
    const ops = cluster.resource('configmaps', 'default');
    await ops.create(cm('a'));
    const seen: WatchEvent[] = [];
    const w = await ops.watch({ allowWatchBookmarks: true }, (e) => seen.push(e));
    cluster.sendBookmarks();
    await settle();
    expect(seen.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK']);
    expect(seen[1].object.metadata.resourceVersion).toBe(String(cluster.revision));
    expect(cluster.openWatches('configmaps')).toBe(1);
    cluster.dropWatches();
    await w.done;
    expect(cluster.openWatches('configmaps')).toBe(0);
  });

  it('tells a selecting watcher an object left its selection as a delete', async () => {
    const ops = cluster.resource('configmaps', 'default');
    const seen: WatchEvent[] = [];
    await ops.watch({ labelSelector: 'app=web', resourceVersion: String(cluster.revision) }, (e) =>
      seen.push(e),
    );
    const o = await ops.create(cm('a', { app: 'web' }));
    const moved = await ops.update({ ...o, metadata: { ...o.metadata, labels: { app: 'db' } } });
    await settle();
    expect(seen.map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
    expect(seen[1].object.metadata.resourceVersion).toBe(moved.metadata.resourceVersion);
    expect(seen[1].object.metadata.labels).toEqual({ app: 'web' });
  });

  it('fails chosen calls and cuts off one client', async () => {
    const a = cluster.resource('configmaps', 'default', { client: 'a' });
    const b = cluster.resource('configmaps', 'default', { client: 'b' });
    cluster.failNext(new ApiError(500, 'InternalError', 'boom'), { verb: 'list' });
    expect(codeOf(await errorOf(a.list()))).toBe(500);
    await a.list();
    cluster.partition('a');
    await expect(a.create(cm('x'))).rejects.toThrow(/cut off/);
    await b.create(cm('y'));
    cluster.heal('a');
    await a.create(cm('x'));

    cluster.partition('a', 'hang');
    let settled = false;
    const hung = a.get('x').finally(() => (settled = true));
    await clock.advance(60_000);
    expect(settled).toBe(false);
    cluster.heal('a');
    await expect(hung).rejects.toThrow(/cut off/);
  });

  it('keeps finalized objects until the last finalizer goes', async () => {
    const ops = cluster.resource('configmaps', 'default');
    await ops.create({ ...cm('a'), metadata: { name: 'a', finalizers: ['x/y'] } });
    const marked = await ops.delete('a');
    expect(marked!.metadata.deletionTimestamp).toBeDefined();
    const current = await ops.get('a');
    await ops.update({ ...current, metadata: { ...current.metadata, finalizers: [] } });
    expect(codeOf(await errorOf(ops.get('a')))).toBe(404);
  });
});
