// Members `flotilla up` must not restart although they died (DATA/keep-down.json): `flotilla
// chaos kill-master NAME --no-restart` writes NAME here before the kill, so a drill can watch
// the cluster run without it. Starting the member (console "start", SIGHUP) releases it.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const KEEP_DOWN_FILE = 'keep-down.json';

type Holds = Record<string, string>;

function path(dataDir: string): string {
  return join(dataDir, KEEP_DOWN_FILE);
}

function read(dataDir: string): Holds {
  try {
    const holds = JSON.parse(readFileSync(path(dataDir), 'utf8')) as unknown;
    return holds && typeof holds === 'object' ? (holds as Holds) : {};
  } catch {
    return {};
  }
}

function write(dataDir: string, holds: Holds): void {
  if (Object.keys(holds).length === 0) {
    rmSync(path(dataDir), { force: true });
    return;
  }
  const temporary = `${path(dataDir)}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(holds, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path(dataDir));
}

/** Asks `flotilla up` to leave member down when it dies, and says why. */
export function holdDown(dataDir: string, member: string, reason: string): void {
  write(dataDir, { ...read(dataDir), [member]: reason });
}

/** Why member is to stay down, if it is. */
export function heldDownReason(dataDir: string, member: string): string | undefined {
  const reason = read(dataDir)[member];
  return typeof reason === 'string' ? reason : undefined;
}

/** Lets the named members (all, without names) be restarted again. */
export function releaseHolds(dataDir: string, members?: readonly string[]): void {
  const holds = read(dataDir);
  for (const name of members ?? Object.keys(holds)) delete holds[name];
  write(dataDir, holds);
}
