// What the harness needs before it starts anything: the etcd binary and a built Flotilla.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
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

/** Builds dist/ when the control-plane bundle is missing or older than any source file. */
export function ensureBuilt(repoRoot: string): void {
  const bundle = join(repoRoot, 'dist/apps/control-plane/main.js');
  if (existsSync(bundle)) {
    const builtAt = statSync(bundle).mtimeMs;
    const newer = ['apps', 'libs'].find((dir) => newestSource(join(repoRoot, dir)) > builtAt);
    if (newer === undefined) return;
    console.log(`dist/ is older than the sources in ${newer}/: running npm run build`);
  } else {
    console.log('dist/ missing: running npm run build');
  }
  const r = spawnSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status})`);
}

/** The latest modification time of a .ts file under `dir` (tests excluded). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') newest = Math.max(newest, newestSource(path));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}
