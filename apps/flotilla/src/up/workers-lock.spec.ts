import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError } from '@flotilla/process';
import { acquireWorkersLock } from './workers-lock';

describe('the workers lock: one flotilla up with real workers per machine', () => {
  let dir: string;
  let path: string;
  const other = { pid: 424242, dataDir: '/b/data', startedAt: '2026-12-07T10:00:00.000Z' };
  const writeOwner = () => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(other));
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'workers-lock-'));
    path = join(dir, 'run', 'workers.lock');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is taken when free and released by its owner', () => {
    const lock = acquireWorkersLock('/a/data', { path, isFlotillaUp: () => true });
    expect(lock.crashed).toBeUndefined();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({
      pid: process.pid,
      dataDir: '/a/data',
    });
    lock.release();
    expect(() => readFileSync(path)).toThrow();
  });

  it('refuses, naming the other run, while that flotilla up lives, and leaves its lock alone', () => {
    writeOwner();
    const take = () =>
      acquireWorkersLock('/a/data', { path, isFlotillaUp: (pid) => pid === 424242 });
    expect(take).toThrow(ConfigError);
    expect(take).toThrow(
      /real workers already run here for another flotilla up \(pid 424242, data \/b\/data, since 2026-12-07T10:00:00.000Z\).*--workers 0/,
    );
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(other);
  });

  it('takes over the lock of a run that is gone, and names it as crashed (its leftovers go)', () => {
    writeOwner();
    const lock = acquireWorkersLock('/a/data', { path, isFlotillaUp: () => false });
    expect(lock.crashed).toEqual(other);
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('does not remove a lock another run took meanwhile', () => {
    const lock = acquireWorkersLock('/a/data', { path, isFlotillaUp: () => true });
    writeOwner();
    lock.release();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(other);
  });
});
