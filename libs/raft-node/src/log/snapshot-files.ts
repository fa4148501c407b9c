// The latest Raft snapshot of a member: its metadata (index, term, configuration) in
// snapshot.meta, and its image, when it has one, in snap-<index>.bin. Both are written aside,
// fsynced and renamed into place, image first: a crash leaves the old pair or the new one.
//
// Most snapshots have no image: the log is compacted against the state machine's own durable
// state (as etcd does), and an image is made only when a follower needs one. Raft then finds a
// PendingImage, whose data is not there yet: it asks for the image and tries again later.
//
// An image is not kept in memory: Raft holds a FileSnapshot whose bytes are read when needed
// (restoring, or sending) and kept for a while after the last use. An image file goes once a
// newer snapshot exists and nothing holds its FileSnapshot any more (a transfer to a follower
// may outlive the next snapshot).
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { Io, Timer } from '@flotilla/io';
import { Snapshot, SnapshotMeta, SnapshotUnavailableError } from '@flotilla/raft';

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
  private dropTimer: Timer | undefined;

  constructor(
    readonly meta: SnapshotMeta,
    readonly path: string,
    private readonly io: Pick<Io, 'fs' | 'clock'>,
  ) {}

  get data(): Uint8Array {
    if (this.loaded === undefined) {
      const bytes = this.io.fs.readFileSync(this.path);
      this.loaded = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    // Chunks of a transfer come one per acknowledgement: keep the bytes while they keep coming.
    const clock = this.io.clock;
    if (this.dropTimer !== undefined) clock.clearTimeout(this.dropTimer);
    this.dropTimer = clock.setTimeout(
      () => {
        this.loaded = undefined;
        this.dropTimer = undefined;
      },
      KEEP_LOADED_MS,
      { background: true },
    );
    return this.loaded;
  }
}

/** A snapshot without an image yet: reading its data asks for one. */
export class PendingImage implements Snapshot {
  constructor(
    readonly meta: SnapshotMeta,
    private readonly wanted: () => void,
  ) {}

  get data(): Uint8Array {
    this.wanted();
    throw new SnapshotUnavailableError(this.meta.index);
  }
}

/** What snapshot.meta holds. */
interface SavedMeta {
  meta: SnapshotMeta;
  image: boolean;
}

async function writeDurably(
  fs: Io['fs'],
  dir: string,
  name: string,
  bytes: Uint8Array,
): Promise<void> {
  const path = join(dir, name);
  const tmp = `${path}.tmp`;
  const fh = await fs.open(tmp, 'w');
  try {
    await fh.write(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, path);
}

/** The snapshots of one member: the latest, and older image files still in use. */
export class SnapshotFiles {
  /** Image files no longer the latest, with what may still be reading them. */
  private older = new Map<string, { deref(): FileSnapshot | undefined }>();
  private latest:
    | {
        index: number;
        image: { path: string; snapshot: { deref(): FileSnapshot | undefined } } | undefined;
      }
    | undefined;
  /** Saves run one at a time, so a newer snapshot is never replaced by an older one. */
  private saving: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dir: string,
    /** Called when Raft wants the image of a snapshot that has none. */
    private readonly imageWanted: () => void,
    private readonly io: Io,
  ) {}

  /** The latest snapshot on disk (its data unread), removing image files nothing names. */
  async load(): Promise<Snapshot | undefined> {
    let sealed: Buffer | undefined;
    try {
      sealed = await this.io.fs.readFile(join(this.dir, META_FILE));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const saved = sealed === undefined ? undefined : unseal<SavedMeta>(sealed);
    if (sealed !== undefined && saved?.meta === undefined) {
      throw new Error('raft log: snapshot metadata is corrupt');
    }
    const keep = saved?.image ? dataFile(saved.meta.index) : undefined;
    for (const name of await this.io.fs.readdir(this.dir)) {
      if (name !== keep && /^snap-[0-9a-f]{16}\.bin(\.tmp)?$/.test(name)) {
        await this.io.fs.rm(join(this.dir, name), { force: true });
      }
    }
    if (!saved || saved.meta.index === 0) return undefined;
    if (keep === undefined) return this.trackPending(saved.meta);
    return this.trackImage(new FileSnapshot(saved.meta, join(this.dir, keep), this.io));
  }

  /**
   * Records a snapshot without an image: the state machine's state up to `meta.index` is durable
   * on its own. Undefined when a snapshot at least as new was saved meanwhile.
   */
  writeMetaOnly(meta: SnapshotMeta): Promise<Snapshot | undefined> {
    return this.serially(async () => {
      if (meta.index <= (this.latest?.index ?? 0)) return undefined;
      await this.commitMeta({ meta, image: false });
      return this.trackPending(meta);
    });
  }

  /**
   * Writes a snapshot's image from a stream of bytes, then its metadata: the new latest. Nothing
   * is written (undefined) when a newer snapshot, or an image of this one, was saved meanwhile.
   */
  writeStream(
    meta: SnapshotMeta,
    chunks: AsyncIterable<Uint8Array>,
  ): Promise<FileSnapshot | undefined> {
    return this.serially(async () => {
      if (!this.wantsImage(meta)) return undefined;
      const path = join(this.dir, dataFile(meta.index));
      const tmp = `${path}.tmp`;
      const fh = await this.io.fs.open(tmp, 'w');
      try {
        for await (const chunk of chunks) await fh.write(chunk);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.io.fs.rename(tmp, path);
      await this.commitMeta({ meta, image: true });
      return this.trackImage(new FileSnapshot(meta, path, this.io));
    });
  }

  /** The same for an image already in memory (a snapshot received from the leader). */
  write(snapshot: Snapshot): Promise<FileSnapshot | undefined> {
    return this.serially(async () => {
      if (!this.wantsImage(snapshot.meta)) return undefined;
      const name = dataFile(snapshot.meta.index);
      await writeDurably(this.io.fs, this.dir, name, snapshot.data);
      await this.commitMeta({ meta: snapshot.meta, image: true });
      return this.trackImage(new FileSnapshot(snapshot.meta, join(this.dir, name), this.io));
    });
  }

  /** Newer than the latest, or the latest itself while it has no image. */
  private wantsImage(meta: SnapshotMeta): boolean {
    const latest = this.latest;
    if (latest === undefined || meta.index > latest.index) return true;
    return meta.index === latest.index && latest.image === undefined;
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.saving.then(fn);
    this.saving = result.catch(() => undefined);
    return result;
  }

  private async commitMeta(saved: SavedMeta): Promise<void> {
    await writeDurably(this.io.fs, this.dir, META_FILE, seal(saved));
    await this.io.fs.syncDir(this.dir);
  }

  private trackPending(meta: SnapshotMeta): PendingImage {
    this.retire();
    this.latest = { index: meta.index, image: undefined };
    return new PendingImage(meta, this.imageWanted);
  }

  private trackImage(snapshot: FileSnapshot): FileSnapshot {
    this.retire();
    const path = snapshot.path;
    this.io.references.whenCollected(snapshot, () => this.forget(path));
    this.latest = {
      index: snapshot.meta.index,
      image: { path, snapshot: this.io.references.weak(snapshot) },
    };
    return snapshot;
  }

  /** The latest image becomes an older one; older ones nothing reads any more go now. */
  private retire(): void {
    const image = this.latest?.image;
    this.latest = undefined;
    if (image !== undefined) this.older.set(image.path, image.snapshot);
    for (const [older, ref] of this.older) if (ref.deref() === undefined) this.forget(older);
  }

  /** Lets go of an image file unless it is the latest's. */
  private forget(path: string): void {
    if (path === this.latest?.image?.path) return;
    this.older.delete(path);
    void this.io.fs.rm(path, { force: true }).catch(() => undefined);
  }
}
