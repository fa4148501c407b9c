// One long-lived `nft -i` for the small transactions of incremental syncs. Starting nft and
// filling its cache from the kernel is most of what a small `nft -f` costs on a big table; a
// session pays the start once and finds part of its cache still valid. A transaction is one input
// line (nft applies a line as one batch: all of it or nothing), followed by a line that must fail
// (listing a table nobody has); that error on stderr marks the end of the transaction's answer.
import { spawn } from 'node:child_process';
import { commandLine } from './command-runner';
import { NftError } from './nft-error';

/** What a session needs of a child process (node's ChildProcess fits; tests pass a fake). */
export interface SessionProcess {
  stdin: { write(text: string): unknown; end(): unknown };
  onStderr(listener: (chunk: string) => void): void;
  onExit(listener: (why: string) => void): void;
  kill(): void;
}

export type SessionSpawner = () => SessionProcess;

/** The session itself failed (nft did not start, died or hung): the outcome is unknown. */
export class NftSessionLost extends NftError {
  constructor(message: string, stderr: string) {
    super(message, stderr);
    this.name = 'NftSessionLost';
  }
}

/** `nft -i` (in `netns` when given) as a SessionProcess. */
export function nftSessionSpawner(nft = 'nft', netns?: string): SessionSpawner {
  return () => {
    const [cmd, argv] = commandLine(nft, ['-i'], netns);
    const child = spawn(cmd, argv, { stdio: ['pipe', 'ignore', 'pipe'] });
    child.stdin.on('error', () => undefined); // a dead nft is reported by onExit
    return {
      stdin: child.stdin,
      onStderr: (l) => child.stderr.on('data', (b: Buffer) => l(b.toString())),
      onExit: (l) => {
        child.on('error', (e) => l(`${nft}: ${e.message}`));
        child.on('exit', (code, signal) => l(`nft -i exited (${signal ?? `code ${code}`})`));
      },
      kill: () => child.kill('SIGKILL'),
    };
  };
}

/** One transaction as a session line: nft's commands, one per line, joined into one batch. */
export function sessionLine(script: string): string {
  const commands = script.split('\n').filter((l) => l.trim() !== '');
  return commands.join('; ');
}

const SENTINEL_TABLE = 'flotilla-session-end';

export class NftSession {
  private proc: SessionProcess | undefined;
  private stderr = '';
  private seq = 0;
  private pending:
    { marker: string; resolve: (out: string) => void; reject: (e: Error) => void } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly spawner: SessionSpawner,
    /** A transaction not answered within this is an error (and the process is replaced). */
    private readonly timeoutMs = 60_000,
  ) {}

  /** Applies `script` as one transaction; throws NftError when nft refused it. */
  apply(script: string): Promise<void> {
    const run = this.queue.then(() => this.run(script));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.closed = true;
    this.stop();
  }

  private async run(script: string): Promise<void> {
    if (this.closed) throw new NftSessionLost('the nft session is closed', '');
    const proc = this.ensureStarted();
    const seq = ++this.seq;
    const marker = `list table ip ${SENTINEL_TABLE}-${seq}\n`;
    const answer = new Promise<string>((resolve, reject) => {
      this.pending = { marker, resolve, reject };
    });
    const timer = setTimeout(() => {
      this.fail(`nft -i did not answer within ${this.timeoutMs} ms`);
      this.stop();
    }, this.timeoutMs);
    timer.unref?.();
    proc.stdin.write(`${sessionLine(script)}\n${marker}`);
    let out: string;
    try {
      out = await answer;
    } finally {
      clearTimeout(timer);
    }
    if (/(^|\n)Error:/.test(out)) {
      throw new NftError(`nft -i refused the transaction: ${firstLine(out)}`, out);
    }
  }

  private ensureStarted(): SessionProcess {
    if (this.proc) return this.proc;
    const proc = this.spawner();
    this.proc = proc;
    this.stderr = '';
    proc.onStderr((chunk) => {
      if (this.proc !== proc) return;
      this.stderr += chunk;
      this.check();
    });
    proc.onExit((why) => {
      if (this.proc !== proc) return;
      this.proc = undefined;
      this.fail(why);
    });
    return proc;
  }

  /** The answer is complete once the sentinel's error, with its caret line, has arrived. */
  private check(): void {
    const p = this.pending;
    if (!p) return;
    const at = this.stderr.indexOf(p.marker);
    if (at < 0) return;
    const caretEnd = this.stderr.indexOf('\n', at + p.marker.length);
    if (caretEnd < 0) return;
    // What precedes the sentinel's own "Error: No such file or directory" line is the answer.
    const before = this.stderr.slice(0, at);
    const sentinelError = before.lastIndexOf('Error:');
    const out = sentinelError >= 0 ? before.slice(0, sentinelError) : before;
    this.stderr = this.stderr.slice(caretEnd + 1);
    this.pending = undefined;
    p.resolve(out);
  }

  private fail(why: string): void {
    const p = this.pending;
    this.pending = undefined;
    const said = this.stderr.trim();
    p?.reject(new NftSessionLost(said ? `${why}: ${firstLine(said)}` : why, this.stderr));
  }

  private stop(): void {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc) return;
    proc.stdin.end();
    proc.kill();
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
