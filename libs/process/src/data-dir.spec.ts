import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-error';
import { ensureWritableDir } from './data-dir';

describe('ensureWritableDir', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'flotilla-datadir-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates a missing directory, nested, and leaves no probe file behind', () => {
    const dir = join(root, 'a', 'b');
    ensureWritableDir(dir, '--data-dir');
    expect(existsSync(dir)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('fails with the flag name when the path cannot be a directory', () => {
    const file = join(root, 'file');
    writeFileSync(file, '');
    const dir = join(file, 'sub');
    expect(() => ensureWritableDir(dir, '--data-dir')).toThrow(
      new ConfigError(`--data-dir: cannot create ${JSON.stringify(dir)}: not a directory`),
    );
  });
});
