// The audit log file (--audit-log-path): one audit.k8s.io/v1 Event per line, appended in order
// by one writer. Past --audit-log-maxsize megabytes the file is renamed with the time beside it
// (audit-2026-12-07T14-35-38.123.log, as kube-apiserver's rotation names backups) and a new one
// begun; beyond --audit-log-maxbackup backups the oldest go. A write error is reported, never
// thrown into a request. The file stays open between batches (opening it per batch cost more
// than the write itself: a few percent of a busy master's CPU), as kube-apiserver keeps its
// log open.
import { promises as fs } from 'node:fs';
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
  private file: fs.FileHandle | undefined;
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
    await this.closeFile();
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = Buffer.from(this.pending.join(''));
      this.pending = [];
      try {
        if (!this.file) await this.open();
        if (this.o.maxBytes > 0 && this.size > 0 && this.size + batch.length > this.o.maxBytes) {
          await this.closeFile();
          await this.rotate();
          await this.open();
        }
        await this.file!.appendFile(batch);
        this.size += batch.length;
      } catch (err) {
        // Opened afresh for the next batch: the directory may have come back.
        await this.closeFile();
        this.o.onError?.(err);
      }
    }
  }

  private async open(): Promise<void> {
    await fs.mkdir(dirname(this.o.path), { recursive: true });
    this.file = await fs.open(this.o.path, 'a', 0o600);
    this.size = (await this.file.stat()).size;
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close().catch(() => undefined);
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

function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}
