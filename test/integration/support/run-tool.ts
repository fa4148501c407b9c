import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ToolResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a command-line tool (kubectl, etcdctl) to completion; a non-zero exit is a result too. */
export async function runTool(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<ToolResult> {
  try {
    const child = run(command, args, {
      env: opts.env ?? process.env,
      timeout: opts.timeoutMs ?? 30_000,
    });
    if (opts.input !== undefined) child.child.stdin?.end(opts.input);
    const { stdout, stderr } = await child;
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number };
    return {
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
      code: typeof err.code === 'number' ? err.code : 1,
    };
  }
}
