// A node agent running inside a worker's network namespace (nsenter --net: the host's mounts, the
// worker's network), with its output kept for the caller.
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { inNetns } from './netns';

export interface AgentLaunch {
  /** The program and its first arguments: [node, main.js] or [node, --import, tsx, main.ts]. */
  command: string[];
  args: string[];
  netns: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Also append the agent's output here (flotilla up keeps DATA/logs/<worker>.log). */
  logFile?: string;
}

export class AgentProcess {
  readonly child: ChildProcess;
  output = '';
  private readonly exited: Promise<number | null>;

  constructor(launch: AgentLaunch) {
    const [cmd, ...args] = inNetns(launch.netns, [...launch.command, ...launch.args]);
    this.child = spawn(cmd, args, {
      cwd: launch.cwd,
      env: { ...process.env, NO_COLOR: '1', ...launch.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log: WriteStream | undefined = launch.logFile
      ? createWriteStream(launch.logFile, { flags: 'a' })
      : undefined;
    if (log) this.child.once('exit', () => log.end());
    const keep = (chunk: Buffer) => {
      log?.write(chunk);
      this.output += chunk.toString();
      // Bounded: a long test keeps the last megabyte.
      if (this.output.length > 2_000_000) this.output = this.output.slice(-1_000_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** JSON log lines of the agent, parsed (other lines skipped). */
  logLines(): Record<string, unknown>[] {
    return this.output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  }

  /** Stops it with signal and waits (SIGKILL after timeoutMs). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
