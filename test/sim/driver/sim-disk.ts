import { posix } from 'node:path';
import { Rng } from '../prng';

/** Bytes that grow as they are written past their end. */
class Bytes {
  private buf: Buffer;
  size: number;

  constructor(from?: Bytes) {
    this.buf = from ? Buffer.from(from.view()) : Buffer.alloc(0);
    this.size = from ? from.size : 0;
  }

  view(): Buffer {
    return this.buf.subarray(0, this.size);
  }

  write(offset: number, data: Uint8Array): void {
    const end = offset + data.byteLength;
    if (end > this.buf.length) {
      const grown = Buffer.alloc(Math.max(end, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.size);
      this.buf = grown;
    }
    // Past the old end and before `offset`: zeros (a hole), as a file system reads it.
    if (offset > this.size) this.buf.fill(0, this.size, offset);
    this.buf.set(data, offset);
    this.size = Math.max(this.size, end);
  }

  truncate(size: number): void {
    if (size < this.size) this.buf.fill(0, size, this.size);
    this.size = size;
  }
}

type PendingWrite = { offset: number; data: Buffer } | { truncate: number };

/**
 * A file's contents as a process reads them (the page cache) and as they are on the platter:
 * writes reach the second only through sync(). A crash keeps each unsynced write whole, loses
 * it, or keeps a torn prefix of it, independently (the page cache writes back in any order).
 */
export class Inode {
  readonly current: Bytes;
  private durable: Bytes;
  private pending: PendingWrite[] = [];

  constructor(from?: Inode) {
    this.durable = new Bytes(from?.durable);
    this.current = new Bytes(from?.durable);
  }

  get unsynced(): number {
    return this.pending.length;
  }

  write(offset: number, data: Uint8Array): void {
    const copy = Buffer.from(data);
    this.current.write(offset, copy);
    this.pending.push({ offset, data: copy });
  }

  truncate(size: number): void {
    this.current.truncate(size);
    this.pending.push({ truncate: size });
  }

  sync(): void {
    for (const w of this.pending) apply(this.durable, w);
    this.pending = [];
  }

  /** What survives a crash; returns how many writes were lost or torn. */
  crash(rng: Rng): { lost: number; torn: number } {
    let lost = 0;
    let torn = 0;
    for (const w of this.pending) {
      const roll = rng.float();
      if (roll < 0.5) apply(this.durable, w);
      else if (roll < 0.8 || 'truncate' in w) lost++;
      else {
        torn++;
        apply(this.durable, { offset: w.offset, data: w.data.subarray(0, rng.int(w.data.length)) });
      }
    }
    this.pending = [];
    return { lost, torn };
  }
}

function apply(bytes: Bytes, w: PendingWrite): void {
  if ('truncate' in w) bytes.truncate(w.truncate);
  else bytes.write(w.offset, w.data);
}

/**
 * A LevelDB database as the disk holds it: its current contents (what a reopen without a crash
 * finds) and what is durable. LevelDB appends each write batch to its log in order and a synced
 * write fsyncs that log, so a crash keeps the durable state plus a prefix of the later batches.
 */
export class LevelData {
  current = new Map<string, Buffer>();
  private durable = new Map<string, Buffer>();
  private pending: LevelBatch[] = [];

  constructor(from?: LevelData) {
    if (from) {
      this.durable = new Map(from.durable);
      this.current = new Map(from.durable);
    }
  }

  record(batch: LevelBatch): void {
    for (const op of batch) {
      if (op.value === undefined) this.current.delete(op.key);
      else this.current.set(op.key, op.value);
    }
    this.pending.push(batch);
  }

  /** Everything recorded so far is durable (a synced write went through). */
  sync(): void {
    for (const batch of this.pending) applyBatch(this.durable, batch);
    this.pending = [];
  }

  crash(rng: Rng): { lost: number } {
    const keep = rng.int(this.pending.length + 1);
    for (const batch of this.pending.slice(0, keep)) applyBatch(this.durable, batch);
    const lost = this.pending.length - keep;
    this.pending = [];
    return { lost };
  }
}

/** Keys are LevelDB's bytes as latin1 strings (one char per byte, so order is kept). */
export type LevelBatch = { key: string; value: Buffer | undefined }[];

function applyBatch(map: Map<string, Buffer>, batch: LevelBatch): void {
  for (const op of batch) {
    if (op.value === undefined) map.delete(op.key);
    else map.set(op.key, op.value);
  }
}

export type DiskEntry =
  { kind: 'dir' } | { kind: 'file'; inode: Inode } | { kind: 'level'; data: LevelData };

type MetaOp = { path: string; entry: DiskEntry | undefined }[];

export class DiskError extends Error {
  constructor(
    readonly code: string,
    op: string,
    path: string,
  ) {
    super(`${code}: ${op} '${path}'`);
  }
}

/**
 * One member's disk; it outlives the member's crashes. Names (create, rename, remove) are
 * journaled in order and become durable with the next fsync of anything on the disk, as on a
 * journaling file system; a crash keeps a prefix of the names not yet durable. File data is
 * durable only once its own file is synced.
 */
export class SimDisk {
  private names = new Map<string, DiskEntry>();
  private durableNames = new Map<string, DiskEntry>();
  private pendingMeta: MetaOp[] = [];
  /** Counts for the run's statistics. */
  stats = { syncs: 0, lostWrites: 0, tornWrites: 0, lostLevelBatches: 0, lostNames: 0 };

  constructor(readonly root: string) {
    this.names.set(root, { kind: 'dir' });
    this.durableNames.set(root, { kind: 'dir' });
  }

  get(path: string): DiskEntry | undefined {
    return this.names.get(path);
  }

  /** Direct children of a directory, sorted. */
  children(dir: string): string[] {
    const out: string[] = [];
    for (const p of this.names.keys()) if (posix.dirname(p) === dir && p !== dir) out.push(p);
    return out.sort();
  }

  /** Every path at or under `path`. */
  subtree(path: string): string[] {
    const prefix = path.endsWith('/') ? path : `${path}/`;
    return [...this.names.keys()].filter((p) => p === path || p.startsWith(prefix)).sort();
  }

  set(path: string, entry: DiskEntry): void {
    this.change([{ path, entry }]);
  }

  /** Applies name changes now, and journals them to become durable. */
  change(op: MetaOp): void {
    for (const { path, entry } of op) {
      if (entry === undefined) this.names.delete(path);
      else this.names.set(path, entry);
    }
    this.pendingMeta.push(op);
  }

  /** An fsync reached the disk: the journal of names commits. */
  flushNames(): void {
    this.stats.syncs++;
    for (const op of this.pendingMeta) applyMeta(this.durableNames, op);
    this.pendingMeta = [];
  }

  /**
   * Power is cut: a prefix of the journaled name changes survives, each file keeps what was
   * synced plus whatever of its unsynced writes happened to reach the platter, each database
   * its synced batches plus a prefix of the rest.
   */
  crash(rng: Rng): void {
    const keep = rng.int(this.pendingMeta.length + 1);
    for (const op of this.pendingMeta.slice(0, keep)) applyMeta(this.durableNames, op);
    this.stats.lostNames += this.pendingMeta.length - keep;
    this.pendingMeta = [];
    const survived = new Map<string, DiskEntry>();
    for (const path of [...this.durableNames.keys()].sort()) {
      const entry = this.durableNames.get(path)!;
      if (entry.kind === 'file') {
        const { lost, torn } = entry.inode.crash(rng);
        this.stats.lostWrites += lost;
        this.stats.tornWrites += torn;
        survived.set(path, { kind: 'file', inode: new Inode(entry.inode) });
      } else if (entry.kind === 'level') {
        this.stats.lostLevelBatches += entry.data.crash(rng).lost;
        survived.set(path, { kind: 'level', data: new LevelData(entry.data) });
      } else survived.set(path, entry);
    }
    this.durableNames = survived;
    this.names = new Map(survived);
  }

  /** Bytes in files and databases, for the statistics. */
  bytes(): number {
    let total = 0;
    for (const e of this.names.values()) {
      if (e.kind === 'file') total += e.inode.current.size;
      if (e.kind === 'level') for (const v of e.data.current.values()) total += v.length;
    }
    return total;
  }
}

function applyMeta(names: Map<string, DiskEntry>, op: MetaOp): void {
  for (const { path, entry } of op) {
    if (entry === undefined) names.delete(path);
    else names.set(path, entry);
  }
}
