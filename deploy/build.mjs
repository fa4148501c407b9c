// Builds dist/ (the three apps) and records what it was built from in dist/build-info.json:
// the git commit, whether the tree had changes, the build date and a hash of every source the
// bundles depend on. With --if-stale it builds only when that hash changed (or a bundle is
// missing), so `npm start` costs no build when nothing changed.
//
//   node deploy/build.mjs [--if-stale]
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const APPS = ['control-plane', 'node-agent', 'flotilla'];
const INFO = join(ROOT, 'dist/build-info.json');
const ROOT_INPUTS = ['package.json', 'package-lock.json', 'tsconfig.json', 'nest-cli.json'];

/** Files under apps/ and libs/ that can reach a bundle (tests cannot). */
function sources(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'test') sources(path, out);
    } else if (!entry.name.endsWith('.spec.ts')) {
      out.push(path);
    }
  }
  return out;
}

function sourceHash() {
  const files = [
    ...ROOT_INPUTS.map((f) => join(ROOT, f)),
    ...sources(join(ROOT, 'apps')),
    ...sources(join(ROOT, 'libs')),
  ].sort();
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(relative(ROOT, file));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' }).trim();
  } catch {
    return undefined;
  }
}

function readInfo() {
  try {
    return JSON.parse(readFileSync(INFO, 'utf8'));
  } catch {
    return undefined;
  }
}

const hash = sourceHash();
const bundlesThere = APPS.every((app) => existsSync(join(ROOT, `dist/apps/${app}/main.js`)));
const previous = readInfo();
if (process.argv.includes('--if-stale') && bundlesThere && previous?.sourceHash === hash) {
  console.log(
    `dist/ is up to date (built ${previous.buildDate} from ${previous.gitCommit.slice(0, 12)})`,
  );
  process.exit(0);
}

const started = Date.now();
for (const app of APPS) {
  console.log(`building ${app}...`);
  const r = spawnSync('npx', ['nest', 'build', app], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`nest build ${app} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}
const commit = git(['rev-parse', 'HEAD']);
const dirty = git(['status', '--porcelain', '--', 'apps', 'libs', ...ROOT_INPUTS]);
writeFileSync(
  INFO,
  `${JSON.stringify(
    {
      gitCommit: commit ?? '0'.repeat(40),
      gitTreeState: commit === undefined ? 'unknown' : dirty ? 'dirty' : 'clean',
      buildDate: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      sourceHash: hash,
    },
    null,
    2,
  )}\n`,
);
console.log(`built dist/ in ${((Date.now() - started) / 1000).toFixed(0)} s`);
