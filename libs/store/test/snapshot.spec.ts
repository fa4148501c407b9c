import { MvccStore, StoreError, encodeCommand } from '../src';
import { Harness, b, dump, removeDir, tempDir } from './helpers';

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of iterable) out.push(chunk);
  return out;
}

describe('MvccStore snapshot and restore', () => {
  let source: Harness;
  let target: Harness;
  beforeEach(async () => {
    source = await Harness.create({ snapshotChunkBytes: 4096 });
    target = await Harness.create();
  });
  afterEach(async () => {
    await source.dispose();
    await target.dispose();
  });

  async function fill(h: Harness, n: number): Promise<void> {
    await h.ok({ type: 'leaseGrant', request: { id: 11, ttl: 20 } });
    await h.ok({
      type: 'leaseCheckpoint',
      request: { checkpoints: [{ id: 11, remainingTtl: 9 }] },
    });
    for (let i = 0; i < n; i++) {
      await h.put(`key/${i % 40}`, 'v'.repeat(200) + i, i % 7 === 0 ? { lease: 11 } : {});
    }
    await h.del('key/3');
    await h.ok({ type: 'compact', request: { revision: Math.floor(n / 2) } });
    await h.store.whenIdle();
  }

  it('after a restore, reads the restored versions, not those it read at the same revisions', async () => {
    const values = async (h: Harness) =>
      (await h.store.range({ key: b('k/'), rangeEnd: b('k0') })).kvs.map((kv) => [
        kv.modRevision,
        kv.value.toString(),
      ]);
    for (let i = 0; i < 20; i++) {
      await source.put(`k/${i}`, `source ${i}`);
      await target.put(`k/${i}`, `target ${i}`);
    }
    await source.store.whenIdle();
    await target.store.whenIdle();
    const before = await values(target);
    expect(before).toHaveLength(20);
    expect(before[0][1]).toBe('target 0');
    // Read twice: the second read is served from what the first one read from disk.
    expect(await values(target)).toEqual(before);
    await target.store.restoreSnapshot(await collect(await source.store.createSnapshot()));
    const after = await values(target);
    expect(after.map(([rev]) => rev)).toEqual(before.map(([rev]) => rev));
    expect(after).toEqual(await values(source));
    expect(after[0][1]).toBe('source 0');
  });

  it('restores an identical store from bounded chunks', async () => {
    await fill(source, 200);
    const snap = await source.store.createSnapshot();
    expect(snap.meta).toMatchObject({
      appliedIndex: source.store.appliedIndex,
      revision: source.store.revision,
      compactRevision: 100,
      leases: [{ id: 11, ttl: 20, remainingTtl: 9 }],
    });
    // Applies after the snapshot was taken are not in it.
    await source.put('after', 'x');
    const chunks = await collect(snap);
    expect(chunks.length).toBeGreaterThan(3);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(4096 + 1024);

    await target.put('stale', 'gone after restore');
    const meta = await target.store.restoreSnapshot(chunks);
    expect(meta.appliedIndex).toBe(snap.meta.appliedIndex);
    expect(target.store.appliedIndex).toBe(snap.meta.appliedIndex);
    expect(target.store.revision).toBe(snap.meta.revision);
    expect(target.store.compactRevision).toBe(100);
    expect(target.store.leases()).toEqual(snap.meta.leases);
    expect(target.store.leaseKeys(11).map(String)).toEqual(source.store.leaseKeys(11).map(String));
    await source.del('after');
    for (const rev of [100, 150, snap.meta.revision]) {
      expect(await dump(target.store, rev)).toEqual(await dump(source.store, rev));
    }
    await expect(target.store.range({ key: b('key/1'), revision: 99 })).rejects.toMatchObject({
      code: 'compacted',
    });
    // The restored store keeps going from the snapshot's revision, and survives a restart.
    const next = await target.store.apply(
      snap.meta.appliedIndex + 1,
      encodeCommand({
        type: 'put',
        request: { key: b('key/1'), value: b('new') },
      }),
    );
    expect(next.status).toBe('applied');
    expect(target.store.revision).toBe(snap.meta.revision + 1);
    await target.reopen();
    expect(target.store.revision).toBe(snap.meta.revision + 1);
    expect((await target.get('key/1'))?.value.toString()).toBe('new');
  });

  it('refuses a truncated or corrupt stream and keeps the old state', async () => {
    await fill(source, 50);
    const chunks = await collect(await source.store.createSnapshot());
    await target.put('mine', '1');
    const before = await dump(target.store);
    for (const bad of [chunks.slice(0, -1), [chunks[0], Uint8Array.from([1, 2, 3])], []]) {
      const err = await target.store.restoreSnapshot(bad).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('invalid-snapshot');
      expect(await dump(target.store)).toEqual(before);
    }
  });

  it('finishes a restore interrupted after the new state was complete', async () => {
    await fill(source, 30);
    const chunks = await collect(await source.store.createSnapshot());
    // Simulate a crash between "fresh directory complete" and the swap: build that state by hand.
    const dir = await tempDir();
    try {
      const scratch = await MvccStore.open(dir);
      await scratch.restoreSnapshot(chunks);
      await scratch.close();
      const { rename, writeFile } = await import('node:fs/promises');
      const { join } = await import('node:path');
      const fresh = await MvccStore.open(join(dir, 'other'));
      await fresh.close();
      await rename(join(dir, 'db'), join(dir, 'db.restore'));
      await rename(join(dir, 'other', 'db'), join(dir, 'db'));
      await writeFile(join(dir, 'restore-complete'), '');
      const reopened = await MvccStore.open(dir);
      expect(reopened.revision).toBe(source.store.revision);
      expect(await dump(reopened)).toEqual(await dump(source.store));
      await reopened.close();
    } finally {
      await removeDir(dir);
    }
  });

  it('produces the same bytes for the same state', async () => {
    const twin = await Harness.create({ snapshotChunkBytes: 4096 });
    try {
      await fill(source, 60);
      await fill(twin, 60);
      const a = Buffer.concat(await collect(await source.store.createSnapshot()));
      const c = Buffer.concat(await collect(await twin.store.createSnapshot()));
      expect(a.equals(c)).toBe(true);
    } finally {
      await twin.dispose();
    }
  });
});
