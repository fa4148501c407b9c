// Runs the node's tools (nft, conntrack, ip). Node cannot enter a network namespace itself, so a
// runner for a named namespace prefixes nsenter; the node agent normally already runs inside its
// namespace and uses the plain runner.
import { spawn } from 'node:child_process';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandRunner {
  run(command: string, args: readonly string[], input?: string): Promise<CommandResult>;
}

export interface ProcessRunnerOptions {
  /** Run inside /var/run/netns/<netns> (through nsenter). */
  netns?: string;
  /** Killed after this long (a wedged tool must not stall syncs forever). */
  timeoutMs?: number;
}

/** The program and arguments that run `command` (inside /var/run/netns/<netns> when given). */
export function commandLine(
  command: string,
  args: readonly string[],
  netns?: string,
): [string, string[]] {
  return netns
    ? ['nsenter', [`--net=/var/run/netns/${netns}`, command, ...args]]
    : [command, [...args]];
}

export function processRunner(options: ProcessRunnerOptions = {}): CommandRunner {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return {
    run(command, args, input) {
      const [cmd, argv] = commandLine(command, args, options.netns);
      return new Promise((resolve) => {
        const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.stdout.on('data', (b: Buffer) => out.push(b));
        child.stderr.on('data', (b: Buffer) => err.push(b));
        child.on('error', (e) => {
          clearTimeout(timer);
          resolve({ code: 127, stdout: '', stderr: `${command}: ${e.message}` });
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          const stderr = Buffer.concat(err).toString();
          resolve({
            code: code ?? 128,
            stdout: Buffer.concat(out).toString(),
            stderr: signal ? `${stderr}${command}: killed by ${signal}` : stderr,
          });
        });
        // A tool that exits before reading its input closes the pipe: that is its answer, not ours.
        child.stdin.on('error', () => undefined);
        child.stdin.end(input ?? '');
      });
    },
  };
}
