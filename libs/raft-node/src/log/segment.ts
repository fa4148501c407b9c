// One file of the write-ahead log. Segments are preallocated with zeros and written in place,
// so an fdatasync after an append flushes the data alone, not a new file size too (on this
// machine's ext4: ~140 µs instead of ~200 µs). Records are written with one synchronous write
// (page cache, microseconds) and made durable with one fdatasync off the event loop.
import { join } from 'node:path';
import { FileHandle, FileSystem } from '@flotilla/io';

const ZEROS = Buffer.alloc(1024 * 1024);

export function segmentName(seq: number): string {
  return `${seq.toString(16).padStart(16, '0')}.wal`;
}

export function segmentSeq(name: string): number | undefined {
  const m = /^([0-9a-f]{16})\.wal$/.exec(name);
  return m === null ? undefined : parseInt(m[1], 16);
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
  static async create(fs: FileSystem, dir: string, seq: number, bytes: number): Promise<Segment> {
    const path = join(dir, segmentName(seq));
    const tmp = `${path}.tmp`;
    const fh = await fs.open(tmp, 'w+');
    try {
      for (let at = 0; at < bytes; at += ZEROS.length) {
        await fh.write(ZEROS.subarray(0, Math.min(ZEROS.length, bytes - at)), at);
      }
      await fh.sync();
      await fs.rename(tmp, path);
      await fs.syncDir(dir);
    } catch (err) {
      await fh.close();
      await fs.rm(tmp, { force: true });
      throw err;
    }
    return new Segment(seq, path, fh, 0, 0);
  }

  /** A deleted segment's file reused as segment `seq` (renamed, then opened for writing). */
  static async recycle(
    fs: FileSystem,
    oldPath: string,
    dir: string,
    seq: number,
  ): Promise<Segment> {
    const path = join(dir, segmentName(seq));
    await fs.rename(oldPath, path);
    await fs.syncDir(dir);
    return new Segment(seq, path, await fs.open(path, 'r+'), 0, 0);
  }

  /** An existing segment; only the active (last) one is opened for writing. */
  static async existing(
    fs: FileSystem,
    dir: string,
    seq: number,
    pos: number,
    maxIndex: number,
    writable: boolean,
  ): Promise<Segment> {
    const path = join(dir, segmentName(seq));
    const file = writable ? await fs.open(path, 'r+') : undefined;
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
      done += this.file.writeSync(frame, done, frame.length - done, this.pos + done);
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
      await this.file.write(ZEROS.subarray(0, Math.min(ZEROS.length, to - at)), at);
    }
    await this.file.datasync();
  }

  async close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close();
  }
}
