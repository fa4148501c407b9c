// A local image registry (Debian's docker-registry, distribution 2.8) that workers pull from:
// plain HTTP on an address they can route to. start is idempotent (a running one is adopted).
import { spawn } from 'node:child_process';
import { closeSync, openSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { alive, listProcesses, waitGone, killTree } from '../host/processes';

export interface RegistrySpec {
  /** Its config, storage and log live here. */
  dir: string;
  /** host:port it listens on. */
  address: string;
}

function configPath(dir: string): string {
  return join(dir, 'config.yml');
}

export function renderRegistryConfig(spec: RegistrySpec): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(spec.dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${spec.address}`,
    '',
  ].join('\n');
}

export async function findRegistry(dir: string): Promise<number | undefined> {
  const config = configPath(dir);
  return (await listProcesses()).find(
    (p) => p.cmdline[0]?.endsWith('docker-registry') && p.cmdline.includes(config),
  )?.pid;
}

async function answers(address: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(1000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

export async function startRegistry(spec: RegistrySpec, timeoutMs = 15_000): Promise<number> {
  await fs.mkdir(join(spec.dir, 'data'), { recursive: true });
  await fs.writeFile(configPath(spec.dir), renderRegistryConfig(spec));
  let pid = await findRegistry(spec.dir);
  if (pid === undefined) {
    const log = openSync(join(spec.dir, 'registry.log'), 'a');
    const child = spawn('docker-registry', ['serve', configPath(spec.dir)], {
      stdio: ['ignore', log, log],
      detached: true,
    });
    closeSync(log);
    child.unref();
    if (child.pid === undefined) throw new Error('could not start docker-registry');
    pid = child.pid;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await answers(spec.address)) return pid;
    if (!alive(pid)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = await fs.readFile(join(spec.dir, 'registry.log'), 'utf8').then(
    (t) => t.slice(-1500),
    () => '',
  );
  throw new Error(`registry at ${spec.address} did not answer\n${tail}`);
}

export async function stopRegistry(dir: string, removeData = false): Promise<void> {
  const pid = await findRegistry(dir);
  if (pid !== undefined) {
    process.kill(pid, 'SIGTERM');
    if (!(await waitGone(pid, 5000))) await killTree(pid);
  }
  if (removeData) await fs.rm(dir, { recursive: true, force: true });
}
