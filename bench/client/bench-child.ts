// The informer benches run each client in its own process (its own heap and CPU to measure):
// the child prints one JSON line per phase and reads one command line from stdin.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

export interface BenchChild {
  proc: ChildProcess;
  /** The child's next JSON line. */
  next(): Promise<Record<string, number | string>>;
  send(line: string): void;
}

/** Starts bench/client/<script> under tsx with args; `what` names it when it exits early. */
export function spawnBenchChild(script: string, args: string[], what: string): BenchChild {
  const proc = spawn(
    process.execPath,
    [
      ...(process.env.CPU_PROF_DIR
        ? ['--cpu-prof', '--cpu-prof-dir', process.env.CPU_PROF_DIR]
        : []),
      '--expose-gc',
      '--import',
      'tsx',
      resolve(__dirname, script),
      ...args,
    ],
    { cwd: resolve(__dirname, '../..'), stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  return {
    proc,
    next: async () => {
      const r = await lines.next();
      if (r.done) throw new Error(`${what} exited`);
      return JSON.parse(r.value as string);
    },
    send: (line) => proc.stdin!.write(`${line}\n`),
  };
}
