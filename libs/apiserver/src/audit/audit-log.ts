// The audit log file (--audit-log-path): one audit.k8s.io/v1 Event per line, appended in order
// by one writer. Past --audit-log-maxsize megabytes the file is renamed with the time beside it
// (audit-2026-12-07T14-35-38.123.log, as kube-apiserver's rotation names backups) and a new one
// begun; beyond --audit-log-maxbackup backups the oldest go. A write error is reported, never
// thrown into a request. The file stays open between batches (opening it per batch cost more
// than the write itself: a few percent of a busy master's CPU), as kube-apiserver keeps its
// log open, and a batch is one synchronous write: into the page cache that is ~2 us of CPU,
// where a write through the thread pool costs ~20 us of the main thread's (as the Raft log's
// appends, which are synchronous too).
import { closeSync, fstatSync, openSync, promises as fs, writeSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

export interface AuditLogOptions {
  path: string;
  /** Rotate past this many bytes; 0: never. */
  maxBytes: number;
  /** Backups kept; 0: all. */
  maxBackups: number;
  clock?: () => Date;
  onError?: (err: unknown) => void;
}

export class AuditLogFile {
  private pending: string[] = [];
  private writing: Promise<void> | undefined;
  private size = 0;
  /** The open log's descriptor. */
  private fd: number | undefined;
  private readonly clock: () => Date;

  constructor(private readonly o: AuditLogOptions) {
    this.clock = o.clock ?? (() => new Date());
  }

  /** Queues one event; lines go out in order, batched. */
  write(event: object): void {
    this.pending.push(`${JSON.stringify(event)}\n`);
    this.start();
  }

  /**
   * The batch leaves once the current turn of the event loop is over: every request answered
   * in that turn shares one write (a write per event cost a busy master ~5% of its CPU).
   */
  private start(): void {
    this.writing ??= new Promise<void>((r) => setImmediate(r))
      .then(() => this.drain())
      .finally(() => {
        this.writing = undefined;
        if (this.pending.length > 0) this.start();
      });
  }

  /** Resolves once everything queued so far is in the file. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Writes what is queued, then closes the file (a later write opens it again). */
  async close(): Promise<void> {
    await this.flush();
    this.closeFile();
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = Buffer.from(this.pending.join(''));
      this.pending = [];
      try {
        if (this.fd === undefined) await this.open();
        if (this.o.maxBytes > 0 && this.size > 0 && this.size + batch.length > this.o.maxBytes) {
          this.closeFile();
          await this.rotate();
          await this.open();
        }
        writeAll(this.fd!, batch);
        this.size += batch.length;
      } catch (err) {
        // Opened afresh for the next batch: the directory may have come back.
        this.closeFile();
        this.o.onError?.(err);
      }
    }
  }

  private async open(): Promise<void> {
    await fs.mkdir(dirname(this.o.path), { recursive: true });
    this.fd = openSync(this.o.path, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  private closeFile(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch {
      // Closed already, or the disk is gone: nothing more to write there either way.
    }
  }

  private async rotate(): Promise<void> {
    const ext = extname(this.o.path);
    const stem = basename(this.o.path, ext);
    const dir = dirname(this.o.path);
    const stamp = this.clock().toISOString().replace(/:/g, '-').replace(/Z$/, '');
    let backup = join(dir, `${stem}-${stamp}${ext}`);
    for (let n = 1; await exists(backup); n++) backup = join(dir, `${stem}-${stamp}.${n}${ext}`);
    await fs.rename(this.o.path, backup);
    this.size = 0;
    if (this.o.maxBackups <= 0) return;
    const backups = (await fs.readdir(dir))
      .filter((f) => f.startsWith(`${stem}-`) && f.endsWith(ext) && f !== basename(this.o.path))
      .sort();
    for (const old of backups.slice(0, Math.max(0, backups.length - this.o.maxBackups))) {
      await fs.rm(join(dir, old), { force: true });
    }
  }
}

/** A write may take part of the bytes (a full disk mid-way throws). */
function writeAll(fd: number, bytes: Buffer): void {
  for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at);
}

function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}
