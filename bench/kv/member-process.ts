// One cluster member as a child process: start, SIGKILL, restart with the same command line,
// stop. Output goes to a log file next to its data so a failed start can be explained.
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface MemberSpec {
  name: string;
  /** host:port of its etcd v3 gRPC API. */
  clientEndpoint: string;
  command: string;
  args: string[];
  logFile: string;
  /** Add an IPC channel (Flotilla members exit when it closes, even if the harness is killed). */
  ipc: boolean;
}

export class MemberProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(readonly spec: MemberSpec) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null
      ? this.child.pid
      : undefined;
  }

  start(): void {
    if (this.pid !== undefined) throw new Error(`${this.name} is already running`);
    const log = openSync(this.spec.logFile, 'a');
    try {
      const stdio: ('ignore' | number | 'ipc')[] = ['ignore', log, log];
      if (this.spec.ipc) stdio.push('ipc');
      const child = spawn(this.spec.command, this.spec.args, { stdio });
      this.child = child;
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

  /** SIGKILL and wait for the exit, bounded. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.waitExit(5000);
  }

  /** SIGTERM (a graceful stop that lets node write its --cpu-prof), then SIGKILL after graceMs. */
  async stop(graceMs: number): Promise<void> {
    if (this.pid === undefined) return;
    this.signal('SIGTERM');
    if (!(await this.waitExit(graceMs))) await this.kill();
  }

  /** Last resort on process exit: synchronous, no waiting. */
  killNow(): void {
    this.signal('SIGKILL');
  }

  logTail(lines: number): string {
    try {
      return readFileSync(this.spec.logFile, 'utf8').split('\n').slice(-lines).join('\n');
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
