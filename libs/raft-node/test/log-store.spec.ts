import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { Packr } from 'msgpackr';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { Entry, snapshotReady } from '@flotilla/raft';
import { LogStore } from '../src';
import { encodeRecord } from '../src/log/wal-record';

const segments = (dir: string) =>
  readdirSync(join(dir, 'log')).filter((f) => /^[0-9a-f]{16}\.wal$/.test(f));
const freeFiles = (dir: string) =>
  readdirSync(join(dir, 'log')).filter((f) => f.startsWith('free-'));
const segmentPath = (dir: string) => join(dir, 'log', segments(dir)[0]);

const conf = { voters: ['a', 'b', 'c'], learners: [] };
const entry = (index: number, term: number, text = `e${index}`): Entry => ({
  index,
  term,
  type: 'normal',
  data: Buffer.from(text),
});

describe('LogStore: the durable Raft log', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'flotilla-log-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('recovers hard state and entries from disk alone', async () => {
    const log = await LogStore.open(dir);
    await log.persist([entry(1, 1), entry(2, 1), entry(3, 2)], { term: 2, vote: 'a', commit: 2 });
    await log.close();
    const again = await LogStore.open(dir);
    const { storage } = await again.load(conf);
    expect(storage.hardState()).toEqual({ term: 2, vote: 'a', commit: 2 });
    expect(storage.entries(1, 4).map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
    ]);
    await again.close();
  });

  it('truncates a conflicting suffix when entries are replaced', async () => {
    const log = await LogStore.open(dir);
    await log.persist([entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)], undefined);
    await log.persist([entry(3, 2, 'new')], undefined);
    await log.close();
    const again = await LogStore.open(dir);
    const { storage } = await again.load(conf);
    expect(storage.lastIndex()).toBe(3);
    expect(Buffer.from(storage.entries(3, 4)[0].data).toString()).toBe('new');
    await again.close();
  });

  it('detects a damaged record by its checksum and drops it and everything after', async () => {
    const log = await LogStore.open(dir);
    await log.persist([entry(1, 1)], { term: 1, vote: 'a', commit: 1 });
    await log.persist([entry(2, 1)], { term: 1, vote: 'a', commit: 2 });
    await log.persist([entry(3, 1)], { term: 1, vote: 'a', commit: 3 });
    await log.close();
    // Flip a byte inside the second record's body, as a bad sector would.
    const path = segmentPath(dir);
    const bytes = readFileSync(path);
    const second = 12 + bytes.readUInt32LE(0);
    bytes[second + 12 + 3] ^= 0xff;
    writeFileSync(path, bytes);
    const again = await LogStore.open(dir);
    const { storage, droppedTail } = await again.load(conf);
    expect(droppedTail).toBe(2);
    expect(storage.lastIndex()).toBe(1);
    expect(storage.hardState().commit).toBe(1); // never beyond what survived
    // New records go where the damage was, and the log reads back whole.
    await again.persist([entry(2, 2, 'again')], { term: 2, vote: 'b', commit: 1 });
    await again.close();
    const third = await LogStore.open(dir);
    const loaded = await third.load(conf);
    expect(loaded.droppedTail).toBe(0);
    expect(loaded.storage.entries(1, 3).map((e) => [e.index, e.term])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    await third.close();
  });

  it('drops a record cut short by a crash in the middle of its write', async () => {
    const log = await LogStore.open(dir);
    await log.persist([entry(1, 1), entry(2, 1)], { term: 1, vote: 'a', commit: 0 });
    await log.close();
    const path = segmentPath(dir);
    const bytes = readFileSync(path);
    const end = 12 + bytes.readUInt32LE(0);
    // What a torn write leaves: a header promising more than made it to disk.
    const torn = encodeRecord({ hardState: undefined, firstIndex: 3, entries: [entry(3, 1)] }, 1);
    torn.copy(bytes, end, 0, torn.length - 5);
    writeFileSync(path, bytes);
    const again = await LogStore.open(dir);
    const { storage, droppedTail } = await again.load(conf);
    expect(droppedTail).toBe(1);
    expect(storage.lastIndex()).toBe(2);
    await again.close();
  });

  it('rolls over to new segments and deletes those a snapshot covers', async () => {
    const log = await LogStore.open(dir, { segmentBytes: 4096 });
    const big = (i: number) => entry(i, 1, 'x'.repeat(1000));
    for (let i = 1; i <= 20; i++)
      await log.persist([big(i)], i === 1 ? { term: 1, vote: 'a', commit: 0 } : undefined);
    const segmentsBefore = segments(dir);
    expect(segmentsBefore.length).toBeGreaterThan(3);
    await log.saveSnapshot({ meta: { index: 15, term: 1, conf }, data: Buffer.from('image') }, 15);
    const segmentsAfter = segments(dir);
    expect(segmentsAfter.length).toBeLessThan(segmentsBefore.length);
    // Deleted segments' files are kept to become new segments; they still hold records of
    // their earlier life, which must read as the end of the log, not as entries.
    const freeBefore = freeFiles(dir).length;
    expect(freeBefore).toBeGreaterThan(0);
    for (let i = 21; i <= 30; i++) await log.persist([big(i)], undefined);
    expect(freeFiles(dir).length).toBeLessThan(freeBefore);
    await log.close();
    const again = await LogStore.open(dir, { segmentBytes: 4096 });
    const { storage, droppedTail } = await again.load(conf);
    expect(droppedTail).toBe(0);
    expect(storage.firstIndex()).toBe(16);
    expect(storage.lastIndex()).toBe(30);
    expect(storage.entries(16, 31).map((e) => e.index)).toEqual(
      Array.from({ length: 15 }, (_, i) => 16 + i),
    );
    // The hard state survives in the segments that are left.
    expect(storage.hardState()).toEqual({ term: 1, vote: 'a', commit: 0 });
    await again.close();
  });

  it('reads a log left in LevelDB by an earlier version, once', async () => {
    const sealed = (value: unknown) => {
      const body = new Packr({ useRecords: false }).pack(value);
      const out = Buffer.alloc(4 + body.length);
      out.writeUInt32BE(crc32(body), 0);
      body.copy(out, 4);
      return out;
    };
    const key = (index: number) => {
      const k = Buffer.alloc(9);
      k[0] = 0x65;
      k.writeBigUInt64BE(BigInt(index), 1);
      return k;
    };
    const db = new ClassicLevel<Buffer, Buffer>(join(dir, 'wal'), {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
    });
    await db.open();
    await db.put(Buffer.from('s'), sealed({ index: 2, term: 1, conf }));
    await db.put(Buffer.from('h'), sealed({ term: 3, vote: 'b', commit: 4 }));
    for (const i of [3, 4, 5])
      await db.put(key(i), sealed([i === 5 ? 3 : 1, 0, Buffer.from(`e${i}`)]));
    await db.close();
    writeFileSync(join(dir, 'snapshot.bin'), 'image');

    const log = await LogStore.open(dir);
    const { storage } = await log.load({ voters: [], learners: [] });
    expect(storage.snapshot().meta.index).toBe(2);
    expect(Buffer.from(storage.snapshot().data).toString()).toBe('image');
    expect(storage.entries(3, 6).map((e) => [e.index, e.term])).toEqual([
      [3, 1],
      [4, 1],
      [5, 3],
    ]);
    expect(storage.hardState()).toEqual({ term: 3, vote: 'b', commit: 4 });
    await log.close();
    expect(existsSync(join(dir, 'wal'))).toBe(false);
    const again = await LogStore.open(dir);
    expect((await again.load(conf)).storage.lastIndex()).toBe(5);
    await again.close();
  });

  it('keeps a snapshot and compacts the entries it covers', async () => {
    const log = await LogStore.open(dir);
    await log.persist([entry(1, 1), entry(2, 1), entry(3, 1)], undefined);
    await log.saveSnapshot({ meta: { index: 2, term: 1, conf }, data: Buffer.from('image') }, 2);
    await log.close();
    const again = await LogStore.open(dir);
    const { storage } = await again.load({ voters: [], learners: [] });
    expect(storage.snapshot().meta.index).toBe(2);
    expect(Buffer.from(storage.snapshot().data).toString()).toBe('image');
    expect(storage.snapshot().meta.conf).toEqual(conf);
    expect(storage.firstIndex()).toBe(3);
    expect(storage.lastIndex()).toBe(3);
    await again.close();
  });

  it('streams a snapshot to disk and reads its data only when asked, never replacing a newer one', async () => {
    const log = await LogStore.open(dir);
    await log.persist([entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)], undefined);
    async function* parts(text: string) {
      for (const part of text.split(' ')) yield Buffer.from(`${part};`);
    }
    const saved = await log.saveSnapshotStream({ index: 3, term: 1, conf }, parts('a big image'));
    expect(saved?.meta.index).toBe(3);
    expect(Buffer.from(saved!.data).toString()).toBe('a;big;image;');
    // A snapshot at or below the one saved (e.g. taken while a newer one arrived) is refused.
    expect(await log.saveSnapshotStream({ index: 2, term: 1, conf }, parts('old'))).toBeUndefined();
    expect(
      await log.saveSnapshot({ meta: { index: 3, term: 1, conf }, data: Buffer.from('x') }, 3),
    ).toBeUndefined();
    await log.close();
    writeFileSync(join(dir, 'snap-00000000000000aa.bin'), 'left over by a crash');

    const again = await LogStore.open(dir);
    const { storage } = again.load(conf);
    expect(storage.snapshot().meta.index).toBe(3);
    expect(Buffer.from(storage.snapshot().data).toString()).toBe('a;big;image;');
    expect(storage.entries(4, 5).map((e) => e.index)).toEqual([4]);
    expect(readdirSync(dir).filter((f) => f.startsWith('snap-'))).toEqual([
      'snap-0000000000000003.bin',
    ]);
    await again.close();
  });

  it('records a snapshot without an image, asks for one when it is read, and takes it later', async () => {
    const log = await LogStore.open(dir);
    await log.persist([entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)], undefined);
    const pending = await log.saveSnapshotMeta({ index: 3, term: 1, conf });
    await log.close();

    const again = await LogStore.open(dir);
    let wanted = 0;
    again.imageWanted = () => wanted++;
    const { storage } = again.load(conf);
    expect(pending?.meta.index).toBe(3);
    expect(storage.snapshot().meta.index).toBe(3);
    expect(storage.entries(4, 5).map((e) => e.index)).toEqual([4]);
    expect(snapshotReady(storage.snapshot())).toBe(false);
    expect(wanted).toBe(1);
    async function* image() {
      yield Buffer.from('made on demand');
    }
    // The image of the same snapshot is taken; an older one is not.
    expect(await again.saveSnapshotStream({ index: 2, term: 1, conf }, image())).toBeUndefined();
    const made = await again.saveSnapshotStream({ index: 3, term: 1, conf }, image());
    expect(Buffer.from(made!.data).toString()).toBe('made on demand');
    await again.close();

    const third = await LogStore.open(dir);
    const loaded = third.load(conf).storage.snapshot();
    expect(Buffer.from(loaded.data).toString()).toBe('made on demand');
    await third.close();
  });
});
