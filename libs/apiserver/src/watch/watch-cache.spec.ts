import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '@flotilla/api';
import { LocalBackend } from '../storage/local-backend';
import { ObjectStore } from '../storage/object-store';
import { historyWatch } from './history-watch';
import { WatchCache } from './watch-cache';
import type { ApiWatch, ApiWatchEvent } from './watch-event';

const prefix = '/registry/configmaps/';
const cm = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'd', labels },
});

async function take(w: ApiWatch, n: number): Promise<ApiWatchEvent[]> {
  const out: ApiWatchEvent[] = [];
  const it = w[Symbol.asyncIterator]();
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

const summary = (events: ApiWatchEvent[]) =>
  events.map((e) => `${e.type} ${(e.object as KubeObject).metadata?.name ?? ''}`);

describe('WatchCache over a local store', () => {
  let dir: string;
  let kv: LocalBackend;
  let store: ObjectStore;
  let cache: WatchCache;
  const base = {
    keyPrefix: `${prefix}d/`,
    matches: () => true,
    bookmark: (rv: string) => ({ metadata: { resourceVersion: rv } }),
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apiserver-cache-'));
    kv = await LocalBackend.open(dir);
    store = new ObjectStore(kv);
    cache = new WatchCache(kv, prefix, { windowSize: 3, watcherQueue: 100 });
  });

  afterEach(async () => {
    cache.stop();
    await kv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts with the current state as ADDED events, then sends changes', async () => {
    await store.create(`${prefix}d/a`, cm('a'));
    await cache.start();
    const w = cache.watch(base)!;
    const created = await store.create(`${prefix}d/b`, cm('b'));
    expect(created.ok).toBe(true);
    const events = await take(w, 2);
    expect(summary(events)).toEqual(['ADDED a', 'ADDED b']);
    expect((events[1].object as KubeObject).metadata.resourceVersion).toBe(
      String(created.ok && created.revision),
    );
    w.stop();
  });

  it('resumes from a revision inside the window, and from the store history before it', async () => {
    await cache.start();
    const revs: number[] = [];
    for (const n of ['a', 'b', 'c', 'd', 'e']) {
      const r = await store.create(`${prefix}d/${n}`, cm(n));
      if (r.ok) revs.push(r.revision);
    }
    await cache.waitFor(revs[4], 2000);
    const recent = cache.watch({ ...base, sinceRevision: revs[2] })!;
    expect(summary(await take(recent, 2))).toEqual(['ADDED d', 'ADDED e']);
    recent.stop();
    expect(cache.watch({ ...base, sinceRevision: revs[0] })).toBeUndefined();
    const old = historyWatch(kv, { ...base, sinceRevision: revs[0] }, 100);
    expect(summary(await take(old, 4))).toEqual(['ADDED b', 'ADDED c', 'ADDED d', 'ADDED e']);
    old.stop();
  });

  it('ends a watch from a compacted revision with one 410 ERROR event', async () => {
    const first = await store.create(`${prefix}d/a`, cm('a'));
    await store.create(`${prefix}d/b`, cm('b'));
    await kv.compact(kv.revision());
    const w = historyWatch(kv, { ...base, sinceRevision: first.ok ? first.revision - 1 : 0 }, 100);
    const events = await take(w, 5);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
  });

  it('sends an object that stops matching the selector as DELETED and one that starts as ADDED', async () => {
    await cache.start();
    const w = cache.watch({ ...base, matches: (o) => o.metadata.labels?.app === 'web' })!;
    const a = await store.create(`${prefix}d/a`, cm('a', { app: 'web' }));
    if (!a.ok) throw new Error('create failed');
    const moved = await store.update(`${prefix}d/a`, cm('a', { app: 'db' }), a.revision);
    if (!moved.ok) throw new Error('update failed');
    await store.update(`${prefix}d/a`, cm('a', { app: 'web' }), moved.revision);
    expect(summary(await take(w, 3))).toEqual(['ADDED a', 'DELETED a', 'ADDED a']);
    w.stop();
  });

  it('queues a BOOKMARK at the revision the cache reached', async () => {
    await cache.start();
    const w = cache.watch(base)!;
    await store.create(`${prefix}d/a`, cm('a'));
    // A change elsewhere: the cache learns of the newer revision through a progress notification.
    const other = await store.create('/registry/secrets/d/s', cm('s'));
    expect(await cache.waitFor(other.ok ? other.revision : 0, 5000)).toBe(true);
    w.bookmark();
    const events = await take(w, 2);
    expect(events[1]).toMatchObject({
      type: 'BOOKMARK',
      object: { metadata: { resourceVersion: String(other.ok && other.revision) } },
    });
    w.stop();
  });
});
