// Runs host tools (ip, nsenter, mount, umoci, skopeo) with errors that name the command and say
// what it printed.
import { execFile } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`${command} failed (exit ${code ?? 'signal'}): ${stderr.trim() || '(no output)'}`);
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs file with args to completion; rejects with CommandError on a non-zero exit. */
export function run(file: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        env: options.env ?? process.env,
        cwd: options.cwd,
      },
      (err, stdout, stderr) => {
        if (err) {
          const code =
            typeof (err as { code?: unknown }).code === 'number'
              ? (err as { code: number }).code
              : null;
          const detail = stderr || (err as Error).message;
          reject(new CommandError([file, ...args].join(' '), code, String(detail)));
        } else resolve(String(stdout));
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Like run, but a failure is returned as false (for idempotent steps: "already exists"). */
export async function tryRun(
  file: string,
  args: string[],
  options: RunOptions = {},
): Promise<boolean> {
  try {
    await run(file, args, options);
    return true;
  } catch (err) {
    if (err instanceof CommandError) return false;
    throw err;
  }
}
