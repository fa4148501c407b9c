import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInfoNear, parseBuildInfo } from './build-info';

describe('build info', () => {
  it('reads what deploy/build.mjs writes, and refuses a file missing a field', () => {
    const info = {
      gitCommit: 'a'.repeat(40),
      gitTreeState: 'clean',
      buildDate: '2026-12-07T10:00:00Z',
      sourceHash: 'x',
    };
    expect(parseBuildInfo(JSON.stringify(info))).toEqual({
      gitCommit: info.gitCommit,
      gitTreeState: 'clean',
      buildDate: info.buildDate,
    });
    expect(parseBuildInfo(JSON.stringify({ gitCommit: 'a' }))).toBeUndefined();
  });

  it('a bundle finds build-info.json above itself (dist/apps/<app>/main.js)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'build-info-'));
    try {
      mkdirSync(join(dir, 'apps/x'), { recursive: true });
      writeFileSync(
        join(dir, 'build-info.json'),
        JSON.stringify({ gitCommit: 'b'.repeat(40), gitTreeState: 'dirty', buildDate: 'then' }),
      );
      expect(buildInfoNear(join(dir, 'apps/x/main.js'))).toEqual({
        gitCommit: 'b'.repeat(40),
        gitTreeState: 'dirty',
        buildDate: 'then',
      });
      expect(buildInfoNear(join(tmpdir(), 'nowhere/main.js'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
