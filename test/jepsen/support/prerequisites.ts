// What the suite needs from the machine: root (network namespaces, nftables), `ip` and `nft`.
// Missing tools are installed with apt-get; anything else fails loudly, never skips.
import { spawnSync } from 'node:child_process';

const TOOLS: { binary: string; packageName: string }[] = [
  { binary: 'ip', packageName: 'iproute2' },
  { binary: 'nft', packageName: 'nftables' },
];

function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

function aptGet(args: string[]): void {
  const r = spawnSync('apt-get', args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status})`);
}

/** Throws unless the process is root and has `ip` and `nft` (installing them if it can). */
export function ensureNetworkTools(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the Jepsen suite needs root: each master runs in its own network namespace and ' +
        'partitions are nftables rules (run the tests as root, as CI does)',
    );
  }
  const missing = TOOLS.filter((t) => !onPath(t.binary));
  if (missing.length === 0) return;
  console.log(`installing ${missing.map((t) => t.packageName).join(', ')} with apt-get`);
  aptGet(['update', '-q']);
  aptGet(['install', '-y', '-q', '--no-install-recommends', ...missing.map((t) => t.packageName)]);
  const still = TOOLS.filter((t) => !onPath(t.binary));
  if (still.length > 0) {
    throw new Error(`${still.map((t) => t.binary).join(', ')} still missing after apt-get`);
  }
}
