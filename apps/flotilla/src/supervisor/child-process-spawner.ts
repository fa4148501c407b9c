import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ChildHandle, Spawner } from './spawner';

/**
 * Real processes. Each member leads its own process group (detached), so Ctrl-C in the terminal
 * reaches only the supervisor, which then stops members in order, and a kill reaches the whole
 * group. The IPC channel lets a member notice when the supervisor itself has died.
 */
export const childProcessSpawner: Spawner = (spec, callbacks) => {
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env ? { ...process.env, ...spec.env } : process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let reported = false;
  const finish = (code: number | null, signal: string | null, error?: string) => {
    if (reported) return;
    reported = true;
    callbacks.onExit({ code, signal, error });
  };
  child.on('error', (err) => {
    // Only a failed start ends the member here; a failed kill() of a live child does not.
    if (child.pid === undefined) finish(null, null, err.message);
  });
  child.on('exit', (code, signal) => finish(code, signal));
  // The channel must not keep the supervisor alive by itself.
  child.channel?.unref();
  for (const stream of ['stdout', 'stderr'] as const) {
    const readable = child[stream];
    if (!readable) continue;
    createInterface({ input: readable, crlfDelay: Infinity }).on('line', (line) =>
      callbacks.onLine(stream, line),
    );
  }
  const handle: ChildHandle = {
    pid: child.pid,
    kill(signal) {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is already gone; the 'exit' event reports it.
      }
    },
  };
  return handle;
};
