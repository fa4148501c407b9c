import { readFileSync, writeSync } from 'node:fs';
import * as fsp from 'node:fs/promises';

/** An open file. Writes land in the page cache; datasync() or sync() makes them durable. */
export interface FileHandle {
  /** Writes `length` bytes of `data` from `offset` at `position` before returning. */
  writeSync(data: Uint8Array, offset: number, length: number, position: number): number;
  /** Writes all of `data`: at `position`, or where the previous write through this handle ended. */
  write(data: Uint8Array, position?: number): Promise<void>;
  /** Makes the written data durable (fdatasync). */
  datasync(): Promise<void>;
  /** Makes the written data and the file's metadata durable (fsync). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export type OpenFlags = 'r' | 'r+' | 'w' | 'w+';

/**
 * The file-system calls the write-ahead log, the snapshot files and the store make; errors carry
 * Node's codes (ENOENT...). Production uses node:fs; the simulation passes a disk that loses
 * what was not synced when its member crashes.
 */
export interface FileSystem {
  open(path: string, flags: OpenFlags): Promise<FileHandle>;
  readFile(path: string): Promise<Buffer>;
  /** For a read that cannot wait (a snapshot's bytes asked for by the Raft core). */
  readFileSync(path: string): Buffer;
  /** Writes a whole file; `flush` makes it durable before resolving. */
  writeFile(path: string, data: Uint8Array | string, options?: { flush?: boolean }): Promise<void>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string, options?: { recursive?: boolean }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
  stat(path: string): Promise<{ size: number }>;
  /** Makes names created, renamed or removed in `dir` durable (fsync of the directory). */
  syncDir(dir: string): Promise<void>;
}

class NodeFileHandle implements FileHandle {
  private position = 0;

  constructor(private readonly fh: fsp.FileHandle) {}

  writeSync(data: Uint8Array, offset: number, length: number, position: number): number {
    return writeSync(this.fh.fd, data, offset, length, position);
  }

  async write(data: Uint8Array, position?: number): Promise<void> {
    let at = position ?? this.position;
    let done = 0;
    while (done < data.byteLength) {
      const { bytesWritten } = await this.fh.write(data, done, data.byteLength - done, at);
      done += bytesWritten;
      at += bytesWritten;
    }
    this.position = at;
  }

  datasync(): Promise<void> {
    return this.fh.datasync();
  }

  sync(): Promise<void> {
    return this.fh.sync();
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

export const nodeFileSystem: FileSystem = {
  open: async (path, flags) => new NodeFileHandle(await fsp.open(path, flags)),
  readFile: (path) => fsp.readFile(path),
  readFileSync: (path) => readFileSync(path),
  writeFile: (path, data, options) => fsp.writeFile(path, data, { flush: options?.flush }),
  readdir: (path) => fsp.readdir(path),
  mkdir: async (path, options) => void (await fsp.mkdir(path, options)),
  rename: (from, to) => fsp.rename(from, to),
  rm: (path, options) => fsp.rm(path, options),
  stat: (path) => fsp.stat(path),
  syncDir: async (dir) => {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};
