// One file of the write-ahead log. Segments are preallocated with zeros and written in place,
// so an fdatasync after an append flushes the data alone, not a new file size too (on this
// machine's ext4: ~140 µs instead of ~200 µs). Records are written with one synchronous write
// (page cache, microseconds) and made durable with one fdatasync off the event loop.
import { writeSync } from 'node:fs';
import { FileHandle, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

const ZEROS = Buffer.alloc(1024 * 1024);

export function segmentName(seq: number): string {
  return `${seq.toString(16).padStart(16, '0')}.wal`;
}

export function segmentSeq(name: string): number | undefined {
  const m = /^([0-9a-f]{16})\.wal$/.exec(name);
  return m === null ? undefined : parseInt(m[1], 16);
}

/** Makes a rename or a new file in `dir` durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class Segment {
  private constructor(
    readonly seq: number,
    readonly path: string,
    private file: FileHandle | undefined,
    /** Where the next record goes. */
    public pos: number,
    /** The highest entry index written here (0 if none): the segment goes once a snapshot covers it. */
    public maxIndex: number,
  ) {}

  /** A new zero-filled segment of `bytes`, under its final name only once fully allocated. */
  static async create(dir: string, seq: number, bytes: number): Promise<Segment> {
    const path = join(dir, segmentName(seq));
    const tmp = `${path}.tmp`;
    const fh = await open(tmp, 'w+');
    try {
      for (let at = 0; at < bytes; at += ZEROS.length) {
        await fh.write(ZEROS, 0, Math.min(ZEROS.length, bytes - at), at);
      }
      await fh.sync();
      await rename(tmp, path);
      await syncDir(dir);
    } catch (err) {
      await fh.close();
      await rm(tmp, { force: true });
      throw err;
    }
    return new Segment(seq, path, fh, 0, 0);
  }

  /** A deleted segment's file reused as segment `seq` (renamed, then opened for writing). */
  static async recycle(oldPath: string, dir: string, seq: number): Promise<Segment> {
    const path = join(dir, segmentName(seq));
    await rename(oldPath, path);
    await syncDir(dir);
    return new Segment(seq, path, await open(path, 'r+'), 0, 0);
  }

  /** An existing segment; only the active (last) one is opened for writing. */
  static async existing(
    dir: string,
    seq: number,
    pos: number,
    maxIndex: number,
    writable: boolean,
  ): Promise<Segment> {
    const path = join(dir, segmentName(seq));
    const file = writable ? await open(path, 'r+') : undefined;
    return new Segment(seq, path, file, pos, maxIndex);
  }

  get open(): boolean {
    return this.file !== undefined;
  }

  /** Writes at the current position (into the page cache); durable after sync(). */
  append(frame: Buffer): void {
    if (this.file === undefined) throw new Error(`raft log: segment ${this.path} is not open`);
    let done = 0;
    while (done < frame.length) {
      done += writeSync(this.file.fd, frame, done, frame.length - done, this.pos + done);
    }
    this.pos += frame.length;
  }

  async sync(): Promise<void> {
    await this.file?.datasync();
  }

  /** Zeros from `from` to `to`: what a torn write left there must not parse later. */
  async wipe(from: number, to: number): Promise<void> {
    if (this.file === undefined) throw new Error(`raft log: segment ${this.path} is not open`);
    for (let at = from; at < to; at += ZEROS.length) {
      await this.file.write(ZEROS, 0, Math.min(ZEROS.length, to - at), at);
    }
    await this.file.datasync();
  }

  async close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close();
  }
}
