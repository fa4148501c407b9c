import { ClassicLevel } from 'classic-level';
import { crc32 } from 'node:zlib';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { ConfState, Entry, HardState, MemoryStorage, Snapshot, SnapshotMeta } from '@flotilla/raft';

const packr = new Packr({ useRecords: false });

const ENTRY = 0x65; // 'e' + index (8 bytes, big-endian): one log entry
const HARD_STATE = Buffer.from('h');
const SNAPSHOT_META = Buffer.from('s');

function entryKey(index: number): Buffer {
  const key = Buffer.alloc(9);
  key[0] = ENTRY;
  key.writeBigUInt64BE(BigInt(index), 1);
  return key;
}

function indexOfKey(key: Buffer): number {
  return Number(key.readBigUInt64BE(1));
}

/** A record with its CRC-32 in front, so corruption is detected rather than applied. */
function seal(value: unknown): Buffer {
  const body = packr.pack(value);
  const out = Buffer.alloc(4 + body.length);
  out.writeUInt32BE(crc32(body), 0);
  body.copy(out, 4);
  return out;
}

function unseal<T>(record: Buffer): T | undefined {
  if (record.length < 4) return undefined;
  const body = record.subarray(4);
  if (crc32(body) !== record.readUInt32BE(0)) return undefined;
  return packr.unpack(body) as T;
}

type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

type EntryRecord = [term: number, type: 0 | 1, data: Uint8Array];

export interface LoadedLog {
  storage: MemoryStorage;
  /** Entries dropped on load because their checksum failed or they did not follow on. */
  droppedTail: number;
}

/**
 * The durable Raft log of one member on classic-level: hard state, entries by index and the
 * latest snapshot's metadata, with the snapshot's data in a file beside it. Every Ready is one
 * synchronous LevelDB batch, so the hard state and the entries it covers land together.
 */
export class LogStore {
  private constructor(
    private readonly db: ClassicLevel<Buffer, Buffer>,
    private readonly dir: string,
  ) {}

  static async open(dir: string): Promise<LogStore> {
    await mkdir(dir, { recursive: true });
    const db = new ClassicLevel<Buffer, Buffer>(join(dir, 'wal'), {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
    });
    await db.open();
    return new LogStore(db, dir);
  }

  /**
   * Loads everything into a MemoryStorage. `initialConf` applies only to a member with no
   * history at all. Entries after the first bad checksum (a torn tail) are dropped and deleted.
   */
  async load(initialConf: ConfState): Promise<LoadedLog> {
    const metaRecord = await this.db.get(SNAPSHOT_META);
    const meta = metaRecord ? unseal<SnapshotMeta>(metaRecord) : undefined;
    if (metaRecord && !meta) throw new Error('raft log: snapshot metadata is corrupt');
    const storage = new MemoryStorage(meta ? meta.conf : initialConf);
    if (meta && meta.index > 0) {
      const data = await readFile(this.snapshotFile());
      storage.applySnapshot({ meta, data: new Uint8Array(data) });
    }
    const hsRecord = await this.db.get(HARD_STATE);
    const entries: Entry[] = [];
    let expected = storage.lastIndex() + 1;
    let droppedTail = 0;
    const bad: Buffer[] = [];
    for await (const [key, value] of this.db.iterator({
      gte: entryKey(storage.firstIndex()),
      lt: Buffer.from([ENTRY + 1]),
    })) {
      const index = indexOfKey(key);
      const rec = droppedTail === 0 ? unseal<EntryRecord>(value) : undefined;
      if (!rec || index !== expected) {
        droppedTail++;
        bad.push(key);
        continue;
      }
      entries.push({ index, term: rec[0], type: rec[1] === 1 ? 'conf' : 'normal', data: rec[2] });
      expected++;
    }
    storage.append(entries);
    if (hsRecord) {
      const hs = unseal<HardState>(hsRecord);
      if (!hs) throw new Error('raft log: hard state is corrupt');
      // The commit index never exceeds what survived on disk.
      storage.setHardState({ ...hs, commit: Math.min(hs.commit, storage.lastIndex()) });
    }
    if (bad.length > 0)
      await this.db.batch(
        bad.map((key): BatchOp => ({ type: 'del', key })),
        { sync: true },
      );
    return { storage, droppedTail };
  }

  /**
   * Persists one Ready: entries (replacing any suffix from their first index, up to
   * `previousLast`), and the hard state, in one synchronous batch.
   */
  async persist(
    entries: readonly Entry[],
    hardState: HardState | undefined,
    previousLast: number,
  ): Promise<void> {
    if (entries.length === 0 && !hardState) return;
    const ops: BatchOp[] = [];
    if (entries.length > 0) {
      const last = entries[entries.length - 1].index;
      for (let i = last + 1; i <= previousLast; i++) ops.push({ type: 'del', key: entryKey(i) });
      for (const e of entries) {
        ops.push({
          type: 'put',
          key: entryKey(e.index),
          value: seal([e.term, e.type === 'conf' ? 1 : 0, e.data]),
        });
      }
    }
    if (hardState) ops.push({ type: 'put', key: HARD_STATE, value: seal(hardState) });
    await this.db.batch(ops as BatchOp[], { sync: true });
  }

  /**
   * Makes a snapshot durable (data file first, then its metadata) and deletes the entries it
   * covers. Used both for snapshots this member takes and for those received from a leader.
   */
  async saveSnapshot(
    snapshot: Snapshot,
    dropEntriesThrough: number,
    firstIndex: number,
  ): Promise<void> {
    const tmp = this.snapshotFile() + '.tmp';
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(snapshot.data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.snapshotFile());
    const ops: BatchOp[] = [{ type: 'put', key: SNAPSHOT_META, value: seal(snapshot.meta) }];
    for (let i = firstIndex; i <= dropEntriesThrough; i++)
      ops.push({ type: 'del', key: entryKey(i) });
    await this.db.batch(ops as BatchOp[], {
      sync: true,
    });
  }

  private snapshotFile(): string {
    return join(this.dir, 'snapshot.bin');
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /** Removes everything (tests; a wiped member rejoining starts from nothing). */
  static async destroy(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }
}
