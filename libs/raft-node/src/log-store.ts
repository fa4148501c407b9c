// The durable Raft log of one member: a write-ahead log of records in preallocated segment files
// (<data>/log), plus the latest snapshot (snapshot-files.ts). Every Ready is one record, written
// and fdatasynced before its promises leave, so the hard state and the entries it covers land
// together. The log is replayed into memory at start; segments wholly covered by a snapshot are
// deleted. A torn or damaged record ends the log: it and everything after it are dropped.
import { join } from 'node:path';
import { Io, ioWith } from '@flotilla/io';
import { ConfState, Entry, HardState, MemoryStorage, Snapshot, SnapshotMeta } from '@flotilla/raft';
import { hasLegacyLog, readLegacyLog, removeLegacyLog } from './log/legacy-log';
import { Segment, segmentName, segmentSeq } from './log/segment';
import { FileSnapshot, SnapshotFiles } from './log/snapshot-files';
import { RECORD_HEADER_BYTES, WalRecord, encodeRecord, readRecord } from './log/wal-record';

const LOG_DIR = 'log';
const MAX_FREE_SEGMENTS = 2;

function freeName(seq: number): string {
  return `free-${seq.toString(16).padStart(16, '0')}.wal`;
}
const MIGRATING_DIR = 'log.migrating';
export const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;

export interface LoadedLog {
  storage: MemoryStorage;
  /** Records dropped on load because they were torn or damaged, or did not follow on. */
  droppedTail: number;
}

export interface LogStoreOptions {
  /** Size each segment file is preallocated to. */
  segmentBytes?: number;
  /** Time, files and references (Node's own unless given). */
  io?: Partial<Io>;
}

export class LogStore {
  /** Oldest first; the last one takes new records. */
  private segments: Segment[] = [];
  /** The next segment, preallocated in the background while the active one fills. */
  private spare: Promise<Segment | undefined> | undefined;
  /**
   * Files of deleted segments, kept to become new segments: their blocks are allocated already,
   * and records left from their earlier life carry another segment number, so unlike a new
   * file they need no zero-fill.
   */
  private free: string[] = [];
  /** The last hard state written: every segment starts with one. */
  private hardState: HardState | undefined;
  private readonly segmentBytes: number;
  private readonly snapshots: SnapshotFiles;
  private readonly io: Io;
  /** Set by the driver: Raft wants the image of a snapshot that has none yet. */
  imageWanted: () => void = () => undefined;
  /** What open() read, until load() hands it over. */
  private loaded:
    | {
        snapshot: Snapshot | undefined;
        entries: Entry[];
        hardState: HardState | undefined;
        droppedTail: number;
      }
    | undefined;

  private constructor(
    private readonly dir: string,
    options: LogStoreOptions,
  ) {
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.io = ioWith(options.io);
    this.snapshots = new SnapshotFiles(dir, () => this.imageWanted(), this.io);
  }

  private get logDir(): string {
    return join(this.dir, LOG_DIR);
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  /** Opens the log in `dir`: reads the snapshot and replays the segments (see load()). */
  static async open(dir: string, options: LogStoreOptions = {}): Promise<LogStore> {
    const log = new LogStore(dir, options);
    const fs = log.io.fs;
    await fs.mkdir(dir, { recursive: true });
    await log.migrateLegacy();
    await fs.mkdir(log.logDir, { recursive: true });
    log.loaded = { snapshot: await log.snapshots.load(), ...(await log.replay()) };
    if (log.segments.length === 0) {
      log.segments.push(await Segment.create(fs, log.logDir, 1, log.segmentBytes));
    }
    return log;
  }

  /**
   * What was on disk at open, as a MemoryStorage. `initialConf` applies only to a member with
   * no history at all.
   */
  load(initialConf: ConfState): LoadedLog {
    if (this.loaded === undefined) throw new Error('raft log: load() may be called once');
    const { snapshot, entries, hardState, droppedTail } = this.loaded;
    this.loaded = undefined;
    const storage = new MemoryStorage(snapshot ? snapshot.meta.conf : initialConf);
    if (snapshot) storage.applySnapshot(snapshot);
    const first = storage.lastIndex() + 1;
    let kept = entries.filter((e) => e.index >= first);
    let gap = 0;
    if (kept.length > 0 && kept[0].index !== first) {
      // Entries that do not follow the snapshot cannot be used.
      gap = kept.length;
      kept = [];
    }
    storage.append(kept);
    if (hardState) {
      // The commit index never exceeds what survived on disk.
      storage.setHardState({
        ...hardState,
        commit: Math.min(hardState.commit, storage.lastIndex()),
      });
    }
    return { storage, droppedTail: droppedTail + gap };
  }

  /** Reads every segment in order; opens the last for appending where its records end. */
  private async replay(): Promise<{
    entries: Entry[];
    hardState: HardState | undefined;
    droppedTail: number;
  }> {
    const fs = this.io.fs;
    const names = await fs.readdir(this.logDir);
    this.free = names
      .filter((n) => /^free-[0-9a-f]{16}\.wal$/.test(n))
      .map((n) => join(this.logDir, n));
    const seqs = names
      .map(segmentSeq)
      .filter((s): s is number => s !== undefined)
      .sort((a, b) => a - b);
    let entries: Entry[] = [];
    let hardState: HardState | undefined;
    let droppedTail = 0;
    for (let i = 0; i < seqs.length; i++) {
      const buf = await fs.readFile(join(this.logDir, segmentName(seqs[i])));
      let at = 0;
      let maxIndex = 0;
      let torn = false;
      for (;;) {
        const r = readRecord(buf, at, seqs[i]);
        if (r.kind === 'end') break;
        if (r.kind === 'bad') {
          torn = true;
          droppedTail += 1 + countRecordsAfterDamage(buf, at, seqs[i]);
          break;
        }
        const { record } = r;
        if (record.hardState) hardState = this.hardState = record.hardState;
        if (record.entries.length > 0) {
          entries = spliceEntries(entries, record);
          maxIndex = Math.max(maxIndex, record.entries[record.entries.length - 1].index);
        }
        at = r.next;
      }
      const last = torn || i === seqs.length - 1;
      const seg = await Segment.existing(fs, this.logDir, seqs[i], at, maxIndex, last);
      this.segments.push(seg);
      if (!last) continue;
      if (torn) {
        await seg.wipe(at, buf.length);
        for (const later of seqs.slice(i + 1)) {
          const path = join(this.logDir, segmentName(later));
          droppedTail += countRecords(await fs.readFile(path), later);
          await fs.rm(path, { force: true });
        }
      }
      break;
    }
    await this.syncReplayed();
    return { entries, hardState, droppedTail };
  }

  /**
   * A process that died (kill -9) may have left records written but never synced. The page
   * cache kept them, so they were just replayed and will be relied on (entries acknowledged
   * again, a vote): sync them before anything else happens. Otherwise a later power loss could
   * tear one of them, and the next replay would drop it and every record after it, synced or
   * not.
   */
  private async syncReplayed(): Promise<void> {
    for (const seg of this.segments) {
      if (seg.open) {
        await seg.sync();
        continue;
      }
      const fh = await this.io.fs.open(seg.path, 'r');
      try {
        await fh.datasync();
      } finally {
        await fh.close();
      }
    }
  }

  /**
   * Persists one Ready: entries (replacing any from their first index on) and the hard state,
   * as one record, durable when this resolves.
   */
  async persist(entries: readonly Entry[], hardState: HardState | undefined): Promise<void> {
    if (entries.length === 0 && !hardState) return;
    const record: WalRecord = {
      hardState,
      firstIndex: entries.length > 0 ? entries[0].index : 0,
      entries: entries as Entry[],
    };
    // Every segment starts with the hard state, so older ones can go with their entries.
    const framed = (seg: Segment): Buffer =>
      encodeRecord(
        seg.pos === 0 ? { ...record, hardState: hardState ?? this.hardState } : record,
        seg.seq,
      );
    let seg = this.active;
    let frame = framed(seg);
    if (seg.pos > 0 && seg.pos + frame.length > this.segmentBytes) {
      seg = await this.rollOver();
      frame = framed(seg);
    }
    seg.append(frame);
    await seg.sync();
    if (hardState) this.hardState = hardState;
    if (entries.length > 0)
      seg.maxIndex = Math.max(seg.maxIndex, entries[entries.length - 1].index);
    if (!this.spare && seg.pos > this.segmentBytes / 2) this.prepareSpare();
  }

  private prepareSpare(): void {
    const seq = this.active.seq + 1;
    const reuse = this.free.shift();
    const next =
      reuse === undefined
        ? Segment.create(this.io.fs, this.logDir, seq, this.segmentBytes)
        : Segment.recycle(this.io.fs, reuse, this.logDir, seq);
    this.spare = next.catch(() => undefined);
  }

  private async rollOver(): Promise<Segment> {
    const old = this.active;
    if (!this.spare) this.prepareSpare();
    let next = await this.spare;
    this.spare = undefined;
    next ??= await Segment.create(this.io.fs, this.logDir, old.seq + 1, this.segmentBytes);
    this.segments.push(next);
    await old.close();
    return next;
  }

  /**
   * Makes a snapshot received from the leader durable and deletes the segments whose entries it
   * covers (all up to `dropEntriesThrough`). Returns the snapshot as kept (its data read from
   * disk when needed), or undefined when a newer one was saved meanwhile.
   */
  async saveSnapshot(
    snapshot: Snapshot,
    dropEntriesThrough: number,
  ): Promise<FileSnapshot | undefined> {
    const saved = await this.snapshots.write(snapshot);
    if (saved) await this.dropSegmentsThrough(dropEntriesThrough);
    return saved;
  }

  /**
   * Records a snapshot at `meta.index` without an image (the state machine has made its state up
   * to there durable on its own) and deletes the segments it covers. Undefined when a newer
   * snapshot was saved meanwhile.
   */
  async saveSnapshotMeta(meta: SnapshotMeta): Promise<Snapshot | undefined> {
    const saved = await this.snapshots.writeMetaOnly(meta);
    if (saved) await this.dropSegmentsThrough(meta.index);
    return saved;
  }

  /** The same for a snapshot this member takes, its data streamed to disk as it is produced. */
  async saveSnapshotStream(
    meta: SnapshotMeta,
    chunks: AsyncIterable<Uint8Array>,
  ): Promise<FileSnapshot | undefined> {
    const saved = await this.snapshots.writeStream(meta, chunks);
    if (saved) await this.dropSegmentsThrough(meta.index);
    return saved;
  }

  private async dropSegmentsThrough(index: number): Promise<void> {
    let removed = false;
    while (this.segments.length > 1 && this.segments[0].maxIndex <= index) {
      const seg = this.segments.shift()!;
      await seg.close();
      if (this.free.length < MAX_FREE_SEGMENTS) {
        const path = join(this.logDir, freeName(seg.seq));
        await this.io.fs.rename(seg.path, path);
        this.free.push(path);
      } else await this.io.fs.rm(seg.path, { force: true });
      removed = true;
    }
    if (removed) await this.io.fs.syncDir(this.logDir);
  }

  async close(): Promise<void> {
    const spare = await this.spare;
    this.spare = undefined;
    await spare?.close();
    for (const seg of this.segments) await seg.close();
  }

  /** Removes everything (tests; a wiped member rejoining starts from nothing). */
  static async destroy(dir: string, io?: Partial<Io>): Promise<void> {
    await ioWith(io).fs.rm(dir, { recursive: true, force: true });
  }

  /** Rewrites a log left by an earlier version (LevelDB) as a write-ahead log, once. */
  private async migrateLegacy(): Promise<void> {
    const fs = this.io.fs;
    const migrating = join(this.dir, MIGRATING_DIR);
    await fs.rm(migrating, { recursive: true, force: true });
    if (!(await hasLegacyLog(fs, this.dir))) return;
    if ((await fs.readdir(this.dir)).includes(LOG_DIR)) {
      await removeLegacyLog(fs, this.dir); // migrated before; the old copy was not yet removed
      return;
    }
    const legacy = await readLegacyLog(this.dir);
    if (legacy.snapshot) await this.snapshots.write(legacy.snapshot);
    await fs.mkdir(migrating, { recursive: true });
    const seg = await Segment.create(fs, migrating, 1, this.segmentBytes);
    seg.append(
      encodeRecord(
        {
          hardState: legacy.hardState,
          firstIndex: legacy.entries[0]?.index ?? 0,
          entries: legacy.entries,
        },
        seg.seq,
      ),
    );
    await seg.sync();
    await seg.close();
    await fs.rename(migrating, this.logDir);
    await fs.syncDir(this.dir);
    await removeLegacyLog(fs, this.dir);
  }
}

/** Applies one record's entries to the replayed log: they replace everything from their index. */
function spliceEntries(entries: Entry[], record: WalRecord): Entry[] {
  const first = record.firstIndex;
  if (entries.length === 0) return [...record.entries];
  const base = entries[0].index;
  const last = base + entries.length - 1;
  if (first > last + 1) return [...record.entries]; // after a snapshot from the leader
  if (first <= base) return [...record.entries];
  entries.length = first - base;
  for (const e of record.entries) entries.push(e);
  return entries;
}

/** Records that still parse after a damaged one (dropped with it), for the report. */
function countRecordsAfterDamage(buf: Buffer, at: number, segment: number): number {
  const length = at + RECORD_HEADER_BYTES <= buf.length ? buf.readUInt32LE(at) : 0;
  let next = at + RECORD_HEADER_BYTES + length;
  if (length === 0 || next > buf.length) return 0;
  let n = 0;
  for (;;) {
    const r = readRecord(buf, next, segment);
    if (r.kind !== 'record') return n;
    n++;
    next = r.next;
  }
}

function countRecords(buf: Buffer, segment: number): number {
  let n = 0;
  let at = 0;
  for (;;) {
    const r = readRecord(buf, at, segment);
    if (r.kind !== 'record') return n;
    n++;
    at = r.next;
  }
}
