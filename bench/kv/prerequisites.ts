// What the harness needs before it starts anything: the etcd binary and a built Flotilla.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ETCD_BINARY } from './etcd-members';

/** Installs Debian's etcd-server once if the binary is missing. */
export function ensureEtcd(): string {
  if (!existsSync(ETCD_BINARY)) {
    console.log('etcd not found: installing etcd-server with apt-get');
    const asRoot = process.getuid?.() === 0;
    const run = (args: string[]): void => {
      const [cmd, ...rest] = asRoot ? args : ['sudo', ...args];
      const r = spawnSync(cmd, rest, {
        stdio: 'inherit',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
      if (r.status !== 0) throw new Error(`${args.join(' ')} failed (exit ${r.status})`);
    };
    run(['apt-get', 'update']);
    run(['apt-get', 'install', '-y', 'etcd-server']);
    if (!existsSync(ETCD_BINARY))
      throw new Error(`etcd-server installed but ${ETCD_BINARY} is missing`);
  }
  return execFileSync(ETCD_BINARY, ['--version'], { encoding: 'utf8' }).split('\n')[0].trim();
}

/** Builds dist/ when a bundle is missing or any source's content changed (deploy/build.mjs). */
export function ensureBuilt(repoRoot: string): void {
  const r = spawnSync('node', ['deploy/build.mjs', '--if-stale'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error(`building dist/ failed (exit ${r.status})`);
}
