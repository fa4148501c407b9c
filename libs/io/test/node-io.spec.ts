import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFileSystem as fs, systemClock } from '../src';

describe('nodeFileSystem', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'flotilla-io-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes in sequence after the last write, or at a given position', async () => {
    const path = join(dir, 'f');
    const fh = await fs.open(path, 'w+');
    await fh.write(Buffer.from('hello '));
    await fh.write(Buffer.from('world'));
    await fh.write(Buffer.from('W'), 6);
    expect(fh.writeSync(Buffer.from('xxH'), 2, 1, 0)).toBe(1);
    await fh.datasync();
    await fh.close();
    expect(readFileSync(path, 'utf8')).toBe('Hello World');
    expect(fs.readFileSync(path).toString()).toBe('Hello World');
  });

  it('renames, lists, removes and reports a missing file with ENOENT', async () => {
    await fs.mkdir(join(dir, 'a', 'b'), { recursive: true });
    await fs.writeFile(join(dir, 'a', 'x'), 'data', { flush: true });
    await fs.rename(join(dir, 'a', 'x'), join(dir, 'a', 'y'));
    await fs.syncDir(join(dir, 'a'));
    expect((await fs.readdir(join(dir, 'a'))).sort()).toEqual(['b', 'y']);
    expect((await fs.stat(join(dir, 'a', 'y'))).size).toBe(4);
    await fs.rm(join(dir, 'a'), { recursive: true, force: true });
    await expect(fs.readFile(join(dir, 'a', 'y'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('systemClock', () => {
  it('runs timeouts, cancels them, and runs the next turn', async () => {
    const seen: string[] = [];
    const cancelled = systemClock.setTimeout(() => seen.push('cancelled'), 1);
    systemClock.clearTimeout(cancelled);
    systemClock.setTimeout(() => seen.push('timeout'), 1, { background: true });
    systemClock.nextTurn(() => seen.push('turn'));
    await systemClock.sleep(20);
    expect(seen).toEqual(['turn', 'timeout']);
    expect(systemClock.monotonic()).toBeGreaterThan(0);
  });
});
