// The latest Raft snapshot of a member: its data in snap-<index>.bin and its metadata (index,
// term, configuration) in snapshot.meta, which names the data file by its index. Both are
// written aside, fsynced and renamed into place, data first: a crash leaves the old pair or the
// new one, never a new meta beside old data.
//
// The data is not kept in memory: a snapshot hands Raft a FileSnapshot whose bytes are read when
// they are needed (restoring, or sending it to a follower far behind) and kept for a while after
// the last use. A data file goes once a newer snapshot exists and nothing holds its FileSnapshot
// any more (a transfer to a follower may outlive the next snapshot).
import { crc32 } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { FileHandle, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { Snapshot, SnapshotMeta } from '@flotilla/raft';
import { syncDir } from './segment';

const packr = new Packr({ useRecords: false });
const META_FILE = 'snapshot.meta';
/** Bytes read for a restore or a transfer stay in memory this long after their last use. */
const KEEP_LOADED_MS = 30_000;

function dataFile(index: number): string {
  return `snap-${index.toString(16).padStart(16, '0')}.bin`;
}

/** Bytes with their CRC-32 in front, so damage is detected rather than used. */
export function seal(value: unknown): Buffer {
  const body = packr.pack(value);
  const out = Buffer.alloc(4 + body.length);
  out.writeUInt32BE(crc32(body), 0);
  body.copy(out, 4);
  return out;
}

export function unseal<T>(record: Buffer): T | undefined {
  if (record.length < 4) return undefined;
  const body = record.subarray(4);
  if (crc32(body) !== record.readUInt32BE(0)) return undefined;
  return packr.unpack(body) as T;
}

/** A snapshot whose data lives in its file and is read on first use. */
export class FileSnapshot implements Snapshot {
  private loaded: Uint8Array | undefined;
  private dropTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly meta: SnapshotMeta,
    readonly path: string,
  ) {}

  get data(): Uint8Array {
    if (this.loaded === undefined) {
      const bytes = readFileSync(this.path);
      this.loaded = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    // Chunks of a transfer come one per acknowledgement: keep the bytes while they keep coming.
    if (this.dropTimer !== undefined) clearTimeout(this.dropTimer);
    this.dropTimer = setTimeout(() => {
      this.loaded = undefined;
      this.dropTimer = undefined;
    }, KEEP_LOADED_MS);
    this.dropTimer.unref();
    return this.loaded;
  }
}

async function writeDurably(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const path = join(dir, name);
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/** The data files of one member's snapshots: the latest, and older ones still in use. */
export class SnapshotFiles {
  /** Data files not (or no longer) the latest, with what may still be reading them. */
  private older = new Map<string, WeakRef<FileSnapshot>>();
  private readonly collected = new FinalizationRegistry<string>((path) => this.forget(path));
  private latest: { path: string; index: number; snapshot: WeakRef<FileSnapshot> } | undefined;
  /** Saves run one at a time, so a newer snapshot is never replaced by an older one. */
  private saving: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: string) {}

  /** The latest snapshot on disk (its data unread), removing data files nothing names. */
  async load(): Promise<FileSnapshot | undefined> {
    let sealed: Buffer | undefined;
    try {
      sealed = await readFile(join(this.dir, META_FILE));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const meta = sealed === undefined ? undefined : unseal<SnapshotMeta>(sealed);
    if (sealed !== undefined && meta === undefined) {
      throw new Error('raft log: snapshot metadata is corrupt');
    }
    const keep = meta && meta.index > 0 ? dataFile(meta.index) : undefined;
    for (const name of await readdir(this.dir)) {
      if (name !== keep && /^snap-[0-9a-f]{16}\.bin(\.tmp)?$/.test(name)) {
        await rm(join(this.dir, name), { force: true });
      }
    }
    if (!meta || keep === undefined) return undefined;
    return this.track(new FileSnapshot(meta, join(this.dir, keep)));
  }

  /**
   * Writes a snapshot's data from a stream of bytes, then its metadata: the new latest. Nothing
   * is written (undefined) when a snapshot at least as new was saved meanwhile.
   */
  writeStream(
    meta: SnapshotMeta,
    chunks: AsyncIterable<Uint8Array>,
  ): Promise<FileSnapshot | undefined> {
    return this.serially(async () => {
      if (!this.newer(meta)) return undefined;
      const path = join(this.dir, dataFile(meta.index));
      const tmp = `${path}.tmp`;
      const fh: FileHandle = await open(tmp, 'w');
      try {
        for await (const chunk of chunks) await fh.write(chunk);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
      return this.commit(meta, path);
    });
  }

  /** The same for data already in memory (a snapshot received from the leader). */
  write(snapshot: Snapshot): Promise<FileSnapshot | undefined> {
    return this.serially(async () => {
      if (!this.newer(snapshot.meta)) return undefined;
      const name = dataFile(snapshot.meta.index);
      await writeDurably(this.dir, name, snapshot.data);
      return this.commit(snapshot.meta, join(this.dir, name));
    });
  }

  private newer(meta: SnapshotMeta): boolean {
    return meta.index > (this.latest?.index ?? 0);
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.saving.then(fn);
    this.saving = result.catch(() => undefined);
    return result;
  }

  private async commit(meta: SnapshotMeta, path: string): Promise<FileSnapshot> {
    await writeDurably(this.dir, META_FILE, seal(meta));
    await syncDir(this.dir);
    const previous = this.latest;
    const snapshot = this.track(new FileSnapshot(meta, path));
    if (previous !== undefined && previous.path !== path) {
      this.older.set(previous.path, previous.snapshot);
    }
    // Older data files that nothing reads any more go now; the others when their reader is gone.
    for (const [older, ref] of this.older) if (ref.deref() === undefined) this.forget(older);
    return snapshot;
  }

  private track(snapshot: FileSnapshot): FileSnapshot {
    this.collected.register(snapshot, snapshot.path);
    this.latest = {
      path: snapshot.path,
      index: snapshot.meta.index,
      snapshot: new WeakRef(snapshot),
    };
    return snapshot;
  }

  /** Lets go of a data file unless it is the latest. */
  private forget(path: string): void {
    if (path === this.latest?.path) return;
    this.older.delete(path);
    void rm(path, { force: true }).catch(() => undefined);
  }
}
