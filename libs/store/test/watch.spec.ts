import { EventType, MSG_COMPACTED, WatchEvent, WatchResponse, Watcher, prefixEnd } from '../src';
import { Harness, b } from './helpers';

/** Reads responses until `events` events arrived or the watch was cancelled (bounded). */
async function take(w: Watcher, events: number): Promise<WatchResponse[]> {
  const out: WatchResponse[] = [];
  let seen = 0;
  for (let i = 0; i < 1000 && seen < events; i++) {
    const r = await w.next();
    if (r.done) break;
    out.push(r.value);
    seen += r.value.events.length;
    if (r.value.canceled) break;
  }
  return out;
}

const describeEvent = (e: WatchEvent) =>
  `${e.type === EventType.PUT ? 'PUT' : 'DEL'} ${e.kv.key.toString()}@${e.kv.modRevision}` +
  (e.type === EventType.PUT ? `=${e.kv.value.toString()}` : '') +
  (e.prevKv ? ` prev=${e.prevKv.value.toString()}` : '');

const flat = (rs: WatchResponse[]) => rs.flatMap((r) => r.events.map(describeEvent));

describe('MvccStore watch', () => {
  let h: Harness;
  beforeEach(
    async () => (h = await Harness.create({ watchCatchUpBatch: 3, watchMaxBufferedEvents: 5 })),
  );
  afterEach(async () => h.dispose());

  const prefix = { key: b('w/'), rangeEnd: prefixEnd(b('w/')) };

  it('delivers live events for a prefix, grouped per applied batch', async () => {
    const w = h.store.watch(prefix);
    await h.put('w/a', '1');
    await h.put('other', 'x');
    await h.store.applyBatch([
      { index: ++h.index, command: { type: 'put', request: { key: b('w/b'), value: b('2') } } },
      { index: ++h.index, command: { type: 'deleteRange', request: { key: b('w/a') } } },
    ]);
    const rs = await take(w, 3);
    expect(flat(rs)).toEqual(['PUT w/a@1=1', 'PUT w/b@3=2', 'DEL w/a@4']);
    expect(rs.map((r) => r.header.revision)).toEqual([1, 4]);
    expect(rs[0].watchId).toBe(w.id);
    w.cancel();
    expect((await w.next()).done).toBe(true);
    expect(h.store.watcherCount).toBe(0);
  });

  it('catches up from history in bounded batches, then goes live, with prev_kv', async () => {
    await h.put('w/a', '1'); // 1
    await h.put('w/a', '2'); // 2
    await h.ok({
      type: 'txn',
      request: {
        success: ['x', 'y', 'z', 'q'].map((k) => ({
          requestPut: { key: b(`w/${k}`), value: b(k) },
        })),
      },
    }); // 3: four writes in one revision, more than the catch-up batch
    await h.del('w/a'); // 4
    const w = h.store.watch({ ...prefix, startRevision: 2, prevKv: true });
    const history = await take(w, 6);
    expect(flat(history)).toEqual([
      'PUT w/a@2=2 prev=1',
      // Within a revision, events follow the txn's write order (sub-revisions).
      'PUT w/x@3=x',
      'PUT w/y@3=y',
      'PUT w/z@3=z',
      'PUT w/q@3=q',
      'DEL w/a@4 prev=2',
    ]);
    // No response splits a revision.
    for (const r of history)
      expect(new Set(r.events.map((e) => e.kv.modRevision)).size).toBe(r.events.length > 0 ? 1 : 0);
    await h.put('w/x', 'live');
    expect(flat(await take(w, 1))).toEqual(['PUT w/x@5=live prev=x']);
  });

  it('cancels at once a watch starting below the compact revision', async () => {
    for (let i = 0; i < 5; i++) await h.put('w/a', `${i}`);
    await h.ok({ type: 'compact', request: { revision: 4 } });
    const w = h.store.watch({ ...prefix, startRevision: 2 });
    const [r] = await take(w, 1);
    expect(r).toMatchObject({ canceled: true, compactRevision: 4, cancelReason: MSG_COMPACTED });
    expect((await w.next()).done).toBe(true);
    // At the compact revision itself the watch is fine.
    const ok = h.store.watch({ ...prefix, startRevision: 4 });
    expect(flat(await take(ok, 2))).toEqual(['PUT w/a@4=3', 'PUT w/a@5=4']);
  });

  it('cancels a slow watcher without holding up apply or other watchers', async () => {
    const slow = h.store.watch(prefix);
    const fast = h.store.watch(prefix);
    const fastEvents: string[] = [];
    const consuming = (async () => {
      for await (const r of fast) {
        fastEvents.push(...r.events.map(describeEvent));
        if (fastEvents.length === 8) break;
      }
    })();
    for (let i = 0; i < 8; i++) await h.put(`w/${i}`, 'x');
    await consuming;
    expect(fastEvents).toHaveLength(8);
    const rs = await take(slow, 100);
    const last = rs[rs.length - 1];
    expect(last.canceled).toBe(true);
    expect(last.cancelReason).toMatch(/fell behind by more than 5 events/);
    expect(flat(rs)).toHaveLength(5);
    expect((await slow.next()).done).toBe(true);
  });

  it('applies noPut / noDelete filters and start revisions in the future', async () => {
    const noPut = h.store.watch({ ...prefix, filters: { noPut: true } });
    const noDelete = h.store.watch({ ...prefix, filters: { noDelete: true } });
    const future = h.store.watch({ ...prefix, startRevision: 3 });
    await h.put('w/a', '1');
    await h.put('w/b', '1');
    await h.del('w/a');
    expect(flat(await take(noPut, 1))).toEqual(['DEL w/a@3']);
    expect(flat(await take(noDelete, 2))).toEqual(['PUT w/a@1=1', 'PUT w/b@2=1']);
    expect(flat(await take(future, 1))).toEqual(['DEL w/a@3']);
  });

  it('sends progress notifications to idle watchers', async () => {
    const asked = h.store.watch({ ...prefix, progressNotify: true });
    const other = h.store.watch({ key: b('w/single') });
    await h.put('elsewhere', '1');
    h.store.progress();
    const p = (await asked.next()).value;
    expect(p).toMatchObject({ progressNotify: true, events: [], header: { revision: 1 } });
    h.store.progress(true);
    const q = await other.next();
    expect(q.value).toMatchObject({ progressNotify: true, header: { revision: 1 } });
  });

  it('loses nothing when catch-up races with live writes', async () => {
    for (let i = 0; i < 10; i++) await h.put('w/k', `${i}`);
    const w = h.store.watch({ ...prefix, startRevision: 1 });
    const writes = (async () => {
      for (let i = 10; i < 20; i++) await h.put('w/k', `${i}`);
    })();
    const seen: number[] = [];
    for (let i = 0; i < 100 && seen.length < 20; i++) {
      const r = await w.next();
      if (r.done || r.value.canceled) break;
      seen.push(...r.value.events.map((e) => e.kv.modRevision));
    }
    await writes;
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('replays against the new state after a snapshot restore', async () => {
    const donor = await Harness.create();
    try {
      for (let i = 0; i < 3; i++) await donor.put('w/d', `${i}`);
      const w = h.store.watch(prefix);
      await h.put('w/mine', '1');
      expect(flat(await take(w, 1))).toEqual(['PUT w/mine@1=1']);
      const chunks: Uint8Array[] = [];
      for await (const c of await donor.store.createSnapshot()) chunks.push(c);
      await h.store.restoreSnapshot(chunks);
      // The watcher resumes from revision 2 of the new history.
      expect(flat(await take(w, 2))).toEqual(['PUT w/d@2=1', 'PUT w/d@3=2']);
    } finally {
      await donor.dispose();
    }
  });

  it('ends every watch when the store closes', async () => {
    const w = h.store.watch(prefix);
    await h.store.close();
    const r = await w.next();
    expect(r.value).toMatchObject({ canceled: true, cancelReason: 'store: closed' });
    expect((await w.next()).done).toBe(true);
    await h.reopen();
  });
});
