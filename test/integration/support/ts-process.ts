import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '../../..');

/** A program from the sources, run through tsx (no build needed), or a built .js file. */
export class TsProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  private readonly exited: Promise<{ code: number | null; signal: string | null }>;

  constructor(
    entry: string,
    args: readonly string[],
    options: { stdin?: boolean; env?: Record<string, string>; nodeFlags?: string[] } = {},
  ) {
    const loader = /\.[cm]?ts$/.test(entry) ? ['--import', 'tsx'] : [];
    this.child = spawn(
      process.execPath,
      [...(options.nodeFlags ?? []), ...loader, join(REPO_ROOT, entry), ...args],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, NO_COLOR: '1', ...options.env },
        stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      },
    );
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('process did not start');
    return this.child.pid;
  }

  write(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** Exit status, or a failure after timeoutMs (the process is then killed). */
  async exit(timeoutMs = 30_000): Promise<{ code: number | null; signal: string | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(
          new Error(`process still running after ${timeoutMs}ms\n${this.stdout}\n${this.stderr}`),
        );
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** For afterAll: make sure nothing outlives the test. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
