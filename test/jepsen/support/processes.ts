// One cluster member as a child process the nemesis can pause (SIGSTOP), resume (SIGCONT),
// kill (SIGKILL) and start again with the same command line. Output goes to a log file beside
// its data, so a failed start or a stuck member can be explained afterwards.
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface ProcessSpec {
  command: string[];
  cwd?: string;
  logFile: string;
  /**
   * Give the child an IPC channel: a Flotilla master exits when it closes, so members never
   * outlive a harness that was killed. The channel's descriptor survives `ip netns exec`.
   */
  ipc: boolean;
}

export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private paused = false;

  constructor(
    readonly name: string,
    private readonly spec: ProcessSpec,
  ) {}

  get pid(): number | undefined {
    const c = this.child;
    return c && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  get isPaused(): boolean {
    return this.paused && this.running;
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    const log = openSync(this.spec.logFile, 'a');
    try {
      const stdio: ('ignore' | number | 'ipc')[] = ['ignore', log, log];
      if (this.spec.ipc) stdio.push('ipc');
      const [file, ...args] = this.spec.command;
      const child = spawn(file, args, { stdio, cwd: this.spec.cwd });
      this.child = child;
      this.paused = false;
      this.exited = new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.once('error', () => resolve());
      });
      if (this.spec.ipc) child.channel?.unref();
      child.unref();
    } finally {
      closeSync(log);
    }
  }

  pause(): void {
    this.signal('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    this.signal('SIGCONT');
    this.paused = false;
  }

  /** SIGKILL (works on a paused process too) and wait for the exit, bounded. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    this.paused = false;
    await this.waitExit(10_000);
  }

  /** SIGTERM after waking it, then SIGKILL after graceMs. */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return;
    if (this.paused) this.resume();
    this.signal('SIGTERM');
    if (!(await this.waitExit(graceMs))) await this.kill();
  }

  /** Last resort on harness exit: synchronous, no waiting. */
  killNow(): void {
    this.signal('SIGKILL');
  }

  logTail(lines: number): string {
    try {
      return readFileSync(this.spec.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private signal(signal: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid === undefined) return;
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }

  private async waitExit(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const done = await Promise.race([this.exited.then(() => true), timedOut]);
    clearTimeout(timer);
    return done;
  }
}
