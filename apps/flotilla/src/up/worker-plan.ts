// Names and addresses of `flotilla up`'s real workers, apart from the code that builds them (the
// CLI's option parsing needs these without loading the worker runtime).
import { join } from 'node:path';

export const WORKER_LAB_ID = 'flotilla';
/** The fabric is 10.239.0.0/24 (test labs use 10.239.1-250.0/24); the masters listen at .254. */
export const FABRIC_OCTET = 0;
export const WORKER_FABRIC_HOST = '10.239.0.254';

/** Why real workers need root, in one line (said when `flotilla up` runs without it). */
export const WORKERS_NEED_ROOT =
  'real workers need root (network namespaces, containerd, mounts, cgroups and nftables): starting hollow nodes instead';

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * The built CLI sits next to the built node agent (dist/apps/flotilla, dist/apps/node-agent);
 * from sources, through tsx.
 */
export function defaultAgentCommand(
  nodePath: string,
  cliFile: string,
  cliDir: string,
): { command: string[]; cwd?: string } {
  return cliFile.endsWith('.ts')
    ? {
        command: [nodePath, '--import', 'tsx', join(cliDir, '../../node-agent/src/main.ts')],
        cwd: join(cliDir, '../../..'),
      }
    : { command: [nodePath, join(cliDir, '../node-agent/main.js')] };
}
