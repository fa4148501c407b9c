import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { settingError } from './config-error';

/**
 * Creates the directory if missing and proves it is writable now, at start-up, rather than on the
 * first write of a replicated log entry.
 */
export function ensureWritableDir(dir: string, source: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw settingError(source, `cannot create ${JSON.stringify(dir)}: ${reasonOf(err)}`);
  }
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    writeFileSync(probe, 'ok');
    rmSync(probe, { force: true });
  } catch (err) {
    throw settingError(source, `cannot write in ${JSON.stringify(dir)}: ${reasonOf(err)}`);
  }
}

/** "ENOTDIR: not a directory, mkdir '/x'" -> "not a directory". */
export function reasonOf(err: unknown): string {
  // Not `instanceof Error`: errors from another realm (vm, Jest) fail that test.
  const message =
    typeof (err as Error)?.message === 'string' ? (err as Error).message : String(err);
  const m = /^[A-Z]+: ([^,]+)/.exec(message);
  return m ? m[1] : message;
}
