import { execFile, spawnSync } from 'node:child_process';

/** A system command that failed: its command line, exit status and what it printed on stderr. */
export class CommandError extends Error {
  constructor(
    readonly command: readonly string[],
    readonly status: number | null,
    readonly stderr: string,
  ) {
    super(`${command.join(' ')} failed (exit ${status ?? 'signal'}): ${stderr.trim()}`);
  }
}

/**
 * Runs a command to completion without blocking the event loop (the nemesis runs while clients
 * are measured); resolves with stdout, rejects with a CommandError. Bounded by timeoutMs.
 */
export function run(
  command: readonly string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<string> {
  const [file, ...args] = command;
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: opts.timeoutMs ?? 20_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const status = typeof err.code === 'number' ? err.code : null;
          reject(new CommandError(command, status, String(stderr) || err.message));
        } else resolve(String(stdout));
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** The synchronous form, for teardown on process exit where nothing asynchronous runs. */
export function runSync(command: readonly string[], opts: { input?: string } = {}): string {
  const [file, ...args] = command;
  const r = spawnSync(file, args, { input: opts.input, encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new CommandError(command, r.status, r.stderr ?? String(r.error ?? ''));
  return r.stdout;
}
