import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import packageJson from '../../../package.json';

/** The version printed by --version and exported as flotilla_build_info{version}. */
export const FLOTILLA_VERSION: string = packageJson.version;

/** What this program was built from, as /version and flotilla_build_info report it. */
export interface BuildInfo {
  gitCommit: string;
  /** clean, dirty (sources changed since the commit), or unknown (no git at build time). */
  gitTreeState: string;
  /** RFC 3339, seconds. */
  buildDate: string;
}

let cached: BuildInfo | undefined;

/**
 * dist/build-info.json written by deploy/build.mjs, found above the running bundle; for a program
 * run from source (tests, tsx) the checkout's git state at start, built "now".
 */
export function buildInfo(): BuildInfo {
  cached ??= buildInfoNear(process.argv[1]) ?? fromGit();
  return cached;
}

/** Parses a build-info.json; undefined when it is missing a field. */
export function parseBuildInfo(text: string): BuildInfo | undefined {
  const o = JSON.parse(text) as Partial<BuildInfo>;
  if (
    typeof o.gitCommit !== 'string' ||
    typeof o.gitTreeState !== 'string' ||
    typeof o.buildDate !== 'string'
  )
    return undefined;
  return { gitCommit: o.gitCommit, gitTreeState: o.gitTreeState, buildDate: o.buildDate };
}

/** FLOTILLA_BUILD_INFO, else the build-info.json nearest above a program's entry script. */
export function buildInfoNear(entry: string | undefined): BuildInfo | undefined {
  const explicit = process.env.FLOTILLA_BUILD_INFO;
  const candidates = explicit ? [explicit] : ancestorsOf(entry);
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    try {
      return parseBuildInfo(readFileSync(file, 'utf8'));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** build-info.json in the entry script's folder and the four above it (dist/apps/<app>/main.js). */
function ancestorsOf(entry: string | undefined): string[] {
  if (!entry) return [];
  const out: string[] = [];
  let dir = dirname(entry);
  for (let i = 0; i < 5; i++) {
    out.push(join(dir, 'build-info.json'));
    dir = dirname(dir);
  }
  return out;
}

function fromGit(): BuildInfo {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { encoding: 'utf8', stdio: 'pipe', timeout: 2000 }).trim();
    } catch {
      return undefined;
    }
  };
  const commit = git(['rev-parse', 'HEAD']);
  const status = commit === undefined ? undefined : git(['status', '--porcelain']);
  return {
    gitCommit: commit ?? '0'.repeat(40),
    gitTreeState: status === undefined ? 'unknown' : status ? 'dirty' : 'clean',
    buildDate: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}
