// One machine has one set of `flotilla up` workers: their names are fixed (network namespaces
// flotilla-w1.., the fabric flotilla-fab, 10.239.0.0/24). A second `flotilla up` with workers
// would tear the first one's down as leftovers, so the owner writes a lock; a later run refuses
// while the owner lives, and treats the lock of a dead one as a crashed run to clean up after.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '@flotilla/process';
import { processIsAlive } from '../cluster-state/cluster-state';

export const WORKERS_LOCK_PATH = '/run/flotilla/workers.lock';

export interface WorkersOwner {
  pid: number;
  dataDir: string;
  startedAt: string;
}

export interface LockOptions {
  path?: string;
  /** A live process that is a `flotilla up` (pids are reused). */
  isFlotillaUp?: (pid: number) => boolean;
  now?: () => Date;
}

export interface WorkersLock {
  /** The owner before this one, when it crashed without cleaning up. */
  crashed: WorkersOwner | undefined;
  release(): void;
}

/** Takes the machine's workers for this run, or says (ConfigError) which live run has them. */
export function acquireWorkersLock(dataDir: string, o: LockOptions = {}): WorkersLock {
  const path = o.path ?? WORKERS_LOCK_PATH;
  const isUp = o.isFlotillaUp ?? isFlotillaUpProcess;
  const me: WorkersOwner = {
    pid: process.pid,
    dataDir,
    startedAt: (o.now ?? (() => new Date()))().toISOString(),
  };
  mkdirSync(dirname(path), { recursive: true });
  let crashed: WorkersOwner | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${JSON.stringify(me)}\n`, { flag: 'wx', mode: 0o644 });
      return {
        crashed,
        release: () => {
          if (readOwner(path)?.pid === me.pid) rmSync(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readOwner(path);
    if (owner && owner.pid !== me.pid && isUp(owner.pid)) {
      throw new ConfigError(
        `real workers already run here for another flotilla up (pid ${owner.pid}, data ${owner.dataDir}, since ${owner.startedAt}): ` +
          `their names are fixed (network namespaces flotilla-w1.., flotilla-fab), so only one flotilla up per machine can have them. ` +
          `Stop that one first (Ctrl-C), or start this one with --workers 0 (and --hollow-nodes N)`,
      );
    }
    // Its owner is gone: a crashed run, whose leftovers the caller removes.
    crashed = owner;
    rmSync(path, { force: true });
  }
  throw new ConfigError(`cannot take ${path}: another flotilla up is starting at the same time`);
}

function readOwner(path: string): WorkersOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as Partial<WorkersOwner>;
    return typeof owner.pid === 'number' && typeof owner.dataDir === 'string'
      ? (owner as WorkersOwner)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Alive, and running the flotilla CLI's up command (not a process that got the pid since). */
export function isFlotillaUpProcess(pid: number): boolean {
  if (!processIsAlive(pid)) return false;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes('up') && argv.some((a) => /flotilla/.test(a));
  } catch {
    // No /proc: trust the pid.
    return true;
  }
}
