// Writes a set of files into a directory so a reader never sees half of an update, the way
// Kubernetes does for configMap, secret, downwardAPI and projected volumes: the files go into a
// fresh timestamped directory, the ..data symlink is swapped to it with one rename, and each
// visible name is a symlink through ..data. Only a change in content or mode causes a new write.
import { promises as fs } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';

export interface FileToWrite {
  data: Buffer;
  /** Permission bits, e.g. 0o644. */
  mode: number;
}

const DATA = '..data';
const DATA_TMP = '..data_tmp';

export class VolumePathError extends Error {}

/** Rejects paths a volume item may not use: absolute, with .., or starting with "..". */
export function checkItemPath(path: string): void {
  const n = normalize(path);
  if (path === '' || path.startsWith('/') || n.split(sep).includes('..') || path.startsWith('..')) {
    throw new VolumePathError(`invalid path ${JSON.stringify(path)}`);
  }
}

function stamp(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(
    now.getUTCHours(),
  )}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

async function readCurrent(
  dir: string,
  paths: string[],
): Promise<Map<string, FileToWrite> | undefined> {
  const out = new Map<string, FileToWrite>();
  for (const path of paths) {
    try {
      const full = join(dir, path);
      const [data, st] = await Promise.all([fs.readFile(full), fs.stat(full)]);
      out.set(path, { data, mode: st.mode & 0o7777 });
    } catch {
      return undefined;
    }
  }
  return out;
}

async function listFiles(root: string, rel = ''): Promise<string[]> {
  const entries = await fs.readdir(join(root, rel), { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, path)));
    else out.push(path);
  }
  return out;
}

/**
 * Makes targetDir show exactly payload. Returns whether anything was written.
 */
export async function writeAtomically(
  targetDir: string,
  payload: Map<string, FileToWrite>,
  now: Date = new Date(),
): Promise<boolean> {
  for (const path of payload.keys()) checkItemPath(path);
  await fs.mkdir(targetDir, { recursive: true });
  const current = await fs.readlink(join(targetDir, DATA)).catch(() => undefined);
  if (current !== undefined) {
    const currentDir = join(targetDir, current);
    const existing = await listFiles(currentDir);
    const same =
      existing.length === payload.size &&
      (await readCurrent(currentDir, [...payload.keys()]).then(
        (files) =>
          files !== undefined &&
          [...payload].every(([p, f]) => {
            const have = files.get(p)!;
            return have.mode === f.mode && have.data.equals(f.data);
          }),
      ));
    if (same) return false;
  }

  const fresh = await fs.mkdtemp(join(targetDir, stamp(now)));
  for (const [path, file] of payload) {
    const full = join(fresh, path);
    await fs.mkdir(dirname(full), { recursive: true });
    await fs.writeFile(full, file.data);
    await fs.chmod(full, file.mode);
  }
  const tmpLink = join(targetDir, DATA_TMP);
  await fs.rm(tmpLink, { force: true });
  await fs.symlink(fresh.slice(targetDir.length + 1), tmpLink);
  await fs.rename(tmpLink, join(targetDir, DATA));

  const visible = new Set([...payload.keys()].map((p) => p.split('/')[0]));
  for (const name of visible) {
    const link = join(targetDir, name);
    const want = `${DATA}/${name}`;
    const have = await fs.readlink(link).catch(() => undefined);
    if (have !== want) {
      await fs.rm(link, { force: true, recursive: true });
      await fs.symlink(want, link);
    }
  }
  for (const entry of await fs.readdir(targetDir)) {
    if (entry.startsWith('..')) {
      if (entry !== DATA && join(targetDir, entry) !== fresh) {
        await fs.rm(join(targetDir, entry), { recursive: true, force: true });
      }
    } else if (!visible.has(entry)) {
      await fs.rm(join(targetDir, entry), { recursive: true, force: true });
    }
  }
  return true;
}
