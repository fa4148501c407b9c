// Mounts for volumes that live in memory (emptyDir medium Memory, secrets). The real one runs
// mount(8); the node-agent shares the host's mount namespace (started with nsenter --net only), so
// containerd sees what it mounts.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Mounter {
  mountTmpfs(path: string, sizeBytes?: number): Promise<void>;
  unmount(path: string): Promise<void>;
  isMountPoint(path: string): Promise<boolean>;
}

/** Mount points at or below path, deepest first, from /proc/self/mountinfo. */
export async function mountsUnder(path: string): Promise<string[]> {
  const info = await fs.readFile('/proc/self/mountinfo', 'utf8');
  const prefix = path.endsWith('/') ? path : `${path}/`;
  return info
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => Boolean(p))
    .map((p) => p.replace(/\\040/g, ' '))
    .filter((p) => p === path || p.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

export const systemMounter: Mounter = {
  async mountTmpfs(path, sizeBytes) {
    if (await this.isMountPoint(path)) return;
    const options = sizeBytes ? ['-o', `size=${sizeBytes}`] : [];
    await run('mount', ['-t', 'tmpfs', ...options, 'tmpfs', path]);
  },
  async unmount(path) {
    if (await this.isMountPoint(path)) await run('umount', [path]);
  },
  async isMountPoint(path) {
    return (await mountsUnder(path)).includes(path);
  },
};

/** Records mounts without making them, for unit tests. */
export class MemoryMounter implements Mounter {
  readonly mounted = new Set<string>();

  async mountTmpfs(path: string): Promise<void> {
    this.mounted.add(path);
  }

  async unmount(path: string): Promise<void> {
    this.mounted.delete(path);
  }

  async isMountPoint(path: string): Promise<boolean> {
    return this.mounted.has(path);
  }
}
