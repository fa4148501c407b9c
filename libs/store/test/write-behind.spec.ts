// Applied writes reach LevelDB after the apply returns: everything a client can observe must be
// the same whether a version is still in memory or already on disk.
import { ClassicLevel } from 'classic-level';
import { CompareResult, CompareTarget, EventType, TxnResponse, WatchResponse } from '../src';
import { Harness, b, countVersionsOnDisk, dump } from './helpers';

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting until ${what}`);
}

describe('MvccStore write-behind', () => {
  let h: Harness;
  afterEach(async () => h.dispose());

  it('serves ranges, txn compares, watches and snapshots from writes not yet on disk', async () => {
    h = await Harness.create({ writeBehindDelayMs: 60_000, writeBehindOps: 1_000_000 });
    await h.put('a', '1');
    await h.put('b', '1');
    await h.put('a', '2');
    expect(h.store.pendingWrites).toBe(3);
    expect((await h.get('a'))?.value.toString()).toBe('2');
    expect((await h.get('a', 1))?.value.toString()).toBe('1');

    const cas = await h.ok<TxnResponse>({
      type: 'txn',
      request: {
        compare: [
          { key: b('a'), target: CompareTarget.MOD, result: CompareResult.EQUAL, modRevision: 3 },
          { key: b('a'), target: CompareTarget.VALUE, result: CompareResult.EQUAL, value: b('2') },
        ],
        success: [{ requestPut: { key: b('a'), value: b('3') } }],
      },
    });
    expect(cas.succeeded).toBe(true);

    // A watcher starting in the past replays history from disk: the pending writes go first.
    const watcher = h.store.watch({ key: b('a'), rangeEnd: b('c'), startRevision: 1 });
    const seen: string[] = [];
    for await (const resp of watcher as AsyncIterable<WatchResponse>) {
      for (const e of resp.events)
        seen.push(`${e.type === EventType.PUT ? 'PUT' : 'DEL'} ${e.kv.key} ${e.kv.value}`);
      if (seen.length >= 4) break;
    }
    expect(seen).toEqual(['PUT a 1', 'PUT b 1', 'PUT a 2', 'PUT a 3']);

    await h.put('c', '1');
    expect(h.store.pendingWrites).toBeGreaterThan(0);
    const snap = await h.store.createSnapshot();
    expect(snap.meta).toMatchObject({ appliedIndex: 5, revision: 5 });
    for await (const chunk of snap) void chunk;

    const before = await dump(h.store);
    await h.reopen();
    expect(await dump(h.store)).toEqual(before);
    expect(h.store.appliedIndex).toBe(5);
  });

  it('writes a batch once enough operations are pending, and after a delay otherwise', async () => {
    h = await Harness.create({ writeBehindDelayMs: 60_000, writeBehindOps: 3 });
    await h.put('a', '1');
    await h.put('b', '1');
    expect(h.store.pendingWrites).toBe(2);
    await h.put('c', '1');
    await until(() => h.store.pendingWrites === 0, 'the full batch is written');
    await h.dispose();

    h = await Harness.create({ writeBehindDelayMs: 5, writeBehindOps: 1_000_000 });
    await h.put('a', '1');
    await until(() => h.store.pendingWrites === 0, 'the delayed batch is written');
  });

  it('removes superseded versions that were still pending when compaction began', async () => {
    h = await Harness.create({ writeBehindDelayMs: 60_000, writeBehindOps: 1_000_000 });
    for (let i = 0; i < 10; i++) await h.put('k', `v${i}`);
    await h.ok({ type: 'compact', request: { revision: 10 } });
    await h.store.whenIdle();
    await h.store.close();
    expect(await countVersionsOnDisk(h.dir)).toBe(1);
    await h.reopen();
    expect((await h.get('k'))?.value.toString()).toBe('v9');
  });

  it('persists what was applied on request and says up to which index', async () => {
    h = await Harness.create({ writeBehindDelayMs: 60_000, writeBehindOps: 1_000_000 });
    await h.put('a', '1');
    await h.put('b', '2');
    expect(h.store.pendingWrites).toBe(2);
    expect(await h.store.persist()).toBe(2);
    expect(h.store.pendingWrites).toBe(0);
    await h.reopen();
    expect(h.store.appliedIndex).toBe(2);
    expect((await h.get('b'))?.value.toString()).toBe('2');
  });

  it('reads a range too big to read synchronously at one revision while writes go on', async () => {
    h = await Harness.create({ writeBehindDelayMs: 1, writeBehindOps: 50 });
    const keys = Array.from({ length: 300 }, (_, i) => `k${String(i).padStart(4, '0')}`);
    for (const k of keys) await h.put(k, 'old');
    await h.store.whenIdle();
    const revision = h.store.revision;
    // The read reaches the thread pool only when the test lets it.
    let resume!: () => void;
    const gate = new Promise<void>((r) => (resume = r));
    const getMany = ClassicLevel.prototype.getMany;
    const pause = jest
      .spyOn(ClassicLevel.prototype, 'getMany')
      .mockImplementationOnce(async function (this: ClassicLevel, ...args: unknown[]) {
        await gate;
        return (getMany as (...a: unknown[]) => Promise<unknown>).apply(this, args) as never;
      });
    const reading = h.store.range({ key: b('k'), rangeEnd: b('l') });
    expect(pause).toHaveBeenCalledTimes(1);
    // Meanwhile every key gets a new version, and compaction removes the versions being read.
    for (const k of keys) await h.put(k, 'new');
    await h.ok({ type: 'compact', request: { revision: h.store.revision } });
    await h.store.whenIdle();
    resume();
    const r = await reading;
    pause.mockRestore();
    expect(r.header.revision).toBe(revision);
    expect(r.kvs.map((kv) => kv.key.toString())).toEqual(keys);
    expect(r.kvs.every((kv) => kv.value.toString() === 'old')).toBe(true);
    const now = await h.store.range({ key: b('k'), rangeEnd: b('l') });
    expect(now.kvs.every((kv) => kv.value.toString() === 'new')).toBe(true);
  });
});
