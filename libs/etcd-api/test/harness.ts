// Starts a LocalBackend behind a real EtcdGrpcServer on loopback, and runs the real etcdctl.
import { execFile, spawn } from 'node:child_process';
import type { MvccStoreOptions } from '@flotilla/store';
import { EtcdGrpcServer, EtcdGrpcServerOptions } from '../src';
import { LocalBackend } from './local-backend';

export interface Served {
  backend: LocalBackend;
  server: EtcdGrpcServer;
  endpoint: string;
  close(): Promise<void>;
}

export async function serve(
  options: EtcdGrpcServerOptions = {},
  storeOptions: MvccStoreOptions = {},
): Promise<Served> {
  const backend = await LocalBackend.create(storeOptions);
  const server = new EtcdGrpcServer(backend, options);
  const port = await server.start('127.0.0.1', 0);
  backend.clientUrl = `http://127.0.0.1:${port}`;
  return {
    backend,
    server,
    endpoint: `127.0.0.1:${port}`,
    async close() {
      await server.stop();
      await backend.close();
    },
  };
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const ETCDCTL = '/usr/bin/etcdctl';

/** Runs `etcdctl --endpoints=<endpoint> args...`, feeding `stdin` when given. */
export function etcdctl(endpoint: string, args: string[], stdin?: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(
      ETCDCTL,
      [`--endpoints=${endpoint}`, '--dial-timeout=5s', '--command-timeout=10s', ...args],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
  });
}

/** A long-running etcdctl (watch, keep-alive) whose output is collected until it is stopped. */
export function spawnEtcdctl(endpoint: string, args: string[]) {
  const child = spawn(ETCDCTL, [`--endpoints=${endpoint}`, ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    /** Resolves once stdout contains `text` (rejects after `ms`). */
    async waitFor(text: string, ms = 10_000): Promise<void> {
      const deadline = Date.now() + ms;
      while (!stdout.includes(text)) {
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(
            `etcdctl never printed ${JSON.stringify(text)}; got ${JSON.stringify(stdout)} / ${stderr}`,
          );
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    async stop(): Promise<void> {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
