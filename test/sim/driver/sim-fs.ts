import { posix } from 'node:path';
import type { FileHandle, FileSystem, OpenFlags } from '@flotilla/io';
import { DiskError, Inode, SimDisk } from './sim-disk';
import { MemberProcess } from './sim-clock';

/** What an I/O call is, for latencies and for crashes aimed at one kind of work. */
export type IoKind = 'read' | 'write' | 'sync' | 'meta';

/** The world's side of a member's file system: how long each call takes, and who watches. */
export interface DiskTiming {
  /** Virtual milliseconds this call takes on this member's disk now. */
  latency(kind: IoKind, member: string): number;
  /** Called as a call starts: a crash may be aimed at it. */
  started(member: string, kind: IoKind, path: string, latency: number): void;
  /** A broken disk (to show the checks catch it): fsync returns without making anything durable. */
  readonly fsyncLies?: boolean;
}

/**
 * The FileSystem the real LogStore, snapshot files and MVCC store run on in the simulation:
 * one member's SimDisk, reached from one incarnation of it. Each call takes virtual time and
 * takes effect when it ends, so a crash while it is under way leaves the disk without it; the
 * dead incarnation's calls never end.
 */
export class SimFs implements FileSystem {
  constructor(
    readonly disk: SimDisk,
    readonly process: MemberProcess,
    private readonly member: string,
    private readonly timing: DiskTiming,
  ) {}

  /** Waits the call's latency in this process, then performs it. */
  async call<T>(kind: IoKind, path: string, fn: () => T): Promise<T> {
    const latency = this.timing.latency(kind, this.member);
    this.timing.started(this.member, kind, path, latency);
    await this.process.delay(latency);
    this.alive();
    return fn();
  }

  /** A dead incarnation touching the disk is a bug of the simulation (or of its code). */
  alive(): void {
    if (this.process.dead) throw new Error(`${this.process.name}: I/O from a crashed process`);
  }

  async open(path: string, flags: OpenFlags): Promise<FileHandle> {
    return this.call('meta', path, () => {
      const entry = this.disk.get(path);
      if (flags === 'r' || flags === 'r+') {
        if (entry === undefined) throw new DiskError('ENOENT', 'open', path);
        if (entry.kind !== 'file') throw new DiskError('EISDIR', 'open', path);
        return new SimFileHandle(this, entry.inode, path);
      }
      if (entry !== undefined && entry.kind !== 'file') throw new DiskError('EISDIR', 'open', path);
      if (entry !== undefined) {
        entry.inode.truncate(0);
        return new SimFileHandle(this, entry.inode, path);
      }
      this.parentDir(path, 'open');
      const inode = new Inode();
      this.disk.set(path, { kind: 'file', inode });
      return new SimFileHandle(this, inode, path);
    });
  }

  readFile(path: string): Promise<Buffer> {
    return this.call('read', path, () => this.readFileSync(path));
  }

  readFileSync(path: string): Buffer {
    this.alive();
    const entry = this.disk.get(path);
    if (entry === undefined) throw new DiskError('ENOENT', 'open', path);
    if (entry.kind !== 'file') throw new DiskError('EISDIR', 'read', path);
    return Buffer.from(entry.inode.current.view());
  }

  async writeFile(
    path: string,
    data: Uint8Array | string,
    options?: { flush?: boolean },
  ): Promise<void> {
    const fh = await this.open(path, 'w');
    await fh.write(typeof data === 'string' ? Buffer.from(data) : data, 0);
    if (options?.flush) await fh.sync();
    await fh.close();
  }

  readdir(path: string): Promise<string[]> {
    return this.call('meta', path, () => {
      const entry = this.disk.get(path);
      if (entry === undefined) throw new DiskError('ENOENT', 'scandir', path);
      if (entry.kind === 'file') throw new DiskError('ENOTDIR', 'scandir', path);
      return this.disk.children(path).map((p) => posix.basename(p));
    });
  }

  mkdir(path: string, options?: { recursive?: boolean }): Promise<void> {
    return this.call('meta', path, () => {
      const entry = this.disk.get(path);
      if (entry !== undefined) {
        if (options?.recursive && entry.kind !== 'file') return;
        throw new DiskError('EEXIST', 'mkdir', path);
      }
      const missing: string[] = [];
      for (let p = path; this.disk.get(p) === undefined; p = posix.dirname(p)) {
        if (p === posix.dirname(p)) throw new DiskError('ENOENT', 'mkdir', path);
        missing.push(p);
      }
      if (missing.length > 1 && !options?.recursive) throw new DiskError('ENOENT', 'mkdir', path);
      const parent = this.disk.get(posix.dirname(missing[missing.length - 1]));
      if (parent?.kind !== 'dir') throw new DiskError('ENOTDIR', 'mkdir', path);
      this.disk.change(missing.reverse().map((p) => ({ path: p, entry: { kind: 'dir' } })));
    });
  }

  rename(from: string, to: string): Promise<void> {
    return this.call('meta', from, () => {
      if (this.disk.get(from) === undefined) throw new DiskError('ENOENT', 'rename', from);
      this.parentDir(to, 'rename');
      const target = this.disk.get(to);
      if (target?.kind === 'dir' && this.disk.children(to).length > 0)
        throw new DiskError('ENOTEMPTY', 'rename', to);
      const moved = this.disk.subtree(from);
      const op = this.disk
        .subtree(to)
        .map((path) => ({ path, entry: undefined as undefined | ReturnType<SimDisk['get']> }));
      for (const p of moved) op.push({ path: p, entry: undefined });
      for (const p of moved) op.push({ path: to + p.slice(from.length), entry: this.disk.get(p) });
      this.disk.change(op);
    });
  }

  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void> {
    return this.call('meta', path, () => {
      const entry = this.disk.get(path);
      if (entry === undefined) {
        if (options?.force) return;
        throw new DiskError('ENOENT', 'rm', path);
      }
      const gone = this.disk.subtree(path);
      if (gone.length > 1 && !options?.recursive) throw new DiskError('ENOTEMPTY', 'rm', path);
      this.disk.change(gone.map((p) => ({ path: p, entry: undefined })));
    });
  }

  stat(path: string): Promise<{ size: number }> {
    return this.call('meta', path, () => {
      const entry = this.disk.get(path);
      if (entry === undefined) throw new DiskError('ENOENT', 'stat', path);
      return { size: entry.kind === 'file' ? entry.inode.current.size : 0 };
    });
  }

  syncDir(dir: string): Promise<void> {
    return this.call('sync', dir, () => {
      if (this.disk.get(dir) === undefined) throw new DiskError('ENOENT', 'open', dir);
      if (!this.timing.fsyncLies) this.disk.flushNames();
    });
  }

  /** An fsync of a file went through: its data, and the journal of names, are durable. */
  synced(sync: () => void): void {
    if (this.timing.fsyncLies) return;
    sync();
    this.disk.flushNames();
  }

  private parentDir(path: string, op: string): void {
    const parent = this.disk.get(posix.dirname(path));
    if (parent === undefined) throw new DiskError('ENOENT', op, path);
    if (parent.kind !== 'dir') throw new DiskError('ENOTDIR', op, path);
  }
}

/** An open file: it keeps its inode when the name is renamed or removed, as on POSIX. */
class SimFileHandle implements FileHandle {
  private position = 0;

  constructor(
    private readonly fs: SimFs,
    private readonly inode: Inode,
    private readonly path: string,
  ) {}

  writeSync(data: Uint8Array, offset: number, length: number, position: number): number {
    this.fs.alive();
    this.inode.write(position, data.subarray(offset, offset + length));
    return length;
  }

  write(data: Uint8Array, position?: number): Promise<void> {
    const at = position ?? this.position;
    const copy = Buffer.from(data);
    return this.fs.call('write', this.path, () => {
      this.inode.write(at, copy);
      this.position = at + copy.length;
    });
  }

  datasync(): Promise<void> {
    return this.sync();
  }

  sync(): Promise<void> {
    return this.fs.call('sync', this.path, () => this.fs.synced(() => this.inode.sync()));
  }

  close(): Promise<void> {
    return this.fs.call('meta', this.path, () => undefined);
  }
}
