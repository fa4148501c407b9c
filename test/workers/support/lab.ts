// The worker lab of a test file: unique names per run, the node agent from the sources.
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerLab } from '../../../libs/kubelet/src/host/lab';
import type { Pod } from '../../../libs/kubelet/src/pod/types';

export const REPO_ROOT = join(__dirname, '../../..');

export async function createLab(workers: number): Promise<WorkerLab> {
  // Unique per run: a short id from the pid, and a fabric /24 from it.
  const n = process.pid % 9000;
  const dir = await fs.mkdtemp(join(tmpdir(), `flk${n}-`));
  return WorkerLab.create({
    id: `flk${n}`,
    fabricOctet3: 1 + (process.pid % 250),
    workers,
    dir,
    imageCacheDir: join(tmpdir(), 'flotilla-image-cache'),
    agentCommand: [
      process.execPath,
      '--import',
      'tsx',
      join(REPO_ROOT, 'apps/node-agent/src/main.ts'),
    ],
    agentCwd: REPO_ROOT,
  });
}

/** Polls fn until it returns a value; bounded in time and tries. */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let i = 0; i < Math.ceil(timeoutMs / intervalMs) + 1 && Date.now() <= deadline; i++) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export function containerStatus(pod: Pod, name: string) {
  return [
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.initContainerStatuses ?? []),
  ].find((c) => c.name === name);
}

export function condition(pod: Pod, type: string): string | undefined {
  return pod.status?.conditions?.find((c) => c.type === type)?.status;
}
