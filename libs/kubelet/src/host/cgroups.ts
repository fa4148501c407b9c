// cgroup v1 cleanup: runc removes a container's own cgroup but leaves the parents the kubelet
// named (the pod's, the node's) in every hierarchy. Removing empty directories deepest first is
// all it takes; a directory still in use refuses and stays.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { CgroupCleaner } from '../pod/context';

export const CGROUP_ROOT = '/sys/fs/cgroup';

async function hierarchies(): Promise<string[]> {
  const entries = await fs.readdir(CGROUP_ROOT, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => join(CGROUP_ROOT, e.name));
}

async function removeTree(dir: string): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return;
  for (const e of entries) if (e.isDirectory()) await removeTree(join(dir, e.name));
  await fs.rmdir(dir).catch(() => undefined);
}

/** Removes cgroup path (as a kubelet cgroupParent, e.g. /flotilla-w1/pod<uid>) in every hierarchy. */
export async function removeCgroup(path: string): Promise<void> {
  const rel = path.replace(/^\/+/, '');
  if (!rel) return;
  for (const h of await hierarchies()) await removeTree(join(h, rel));
}

/** Any directory left of path in any hierarchy (for tests that check nothing is left behind). */
export async function cgroupLeftovers(path: string): Promise<string[]> {
  const rel = path.replace(/^\/+/, '');
  const left: string[] = [];
  for (const h of await hierarchies()) {
    const dir = join(h, rel);
    if (
      await fs.stat(dir).then(
        () => true,
        () => false,
      )
    )
      left.push(dir);
  }
  return left;
}

export const cgroupfsCleaner: CgroupCleaner = { removePod: removeCgroup };
