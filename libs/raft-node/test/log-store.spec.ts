import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { Entry } from '@flotilla/raft';
import { LogStore } from '../src';

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
    await log.persist(
      [entry(1, 1), entry(2, 1), entry(3, 2)],
      { term: 2, vote: 'a', commit: 2 },
      0,
    );
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
    await log.persist([entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)], undefined, 0);
    await log.persist([entry(3, 2, 'new')], undefined, 4);
    await log.close();
    const again = await LogStore.open(dir);
    const { storage } = await again.load(conf);
    expect(storage.lastIndex()).toBe(3);
    expect(Buffer.from(storage.entries(3, 4)[0].data).toString()).toBe('new');
    await again.close();
  });

  it('detects a corrupt record by its checksum and drops it and everything after', async () => {
    const log = await LogStore.open(dir);
    await log.persist(
      [entry(1, 1), entry(2, 1), entry(3, 1)],
      { term: 1, vote: 'a', commit: 3 },
      0,
    );
    await log.close();
    // Flip a byte inside entry 2, as a torn write or bad sector would.
    const db = new ClassicLevel<Buffer, Buffer>(join(dir, 'wal'), {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
    });
    const key = Buffer.alloc(9);
    key[0] = 0x65;
    key.writeBigUInt64BE(2n, 1);
    const value = (await db.get(key))!;
    value[value.length - 1] ^= 0xff;
    await db.put(key, value);
    await db.close();
    const again = await LogStore.open(dir);
    const { storage, droppedTail } = await again.load(conf);
    expect(droppedTail).toBe(2);
    expect(storage.lastIndex()).toBe(1);
    expect(storage.hardState().commit).toBe(1); // never beyond what survived
    await again.close();
  });

  it('keeps a snapshot and compacts the entries it covers', async () => {
    const log = await LogStore.open(dir);
    await log.persist([entry(1, 1), entry(2, 1), entry(3, 1)], undefined, 0);
    await log.saveSnapshot({ meta: { index: 2, term: 1, conf }, data: Buffer.from('image') }, 2, 1);
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
});
