// Applies and removes partitions (partition-rules.ts) with the real nft. Synchronous on purpose:
// the heal also runs from a Ctrl-C handler that exits right after.
import { execFileSync } from 'node:child_process';
import { CHAOS_TABLE, Partition, renderHeal, renderPartition } from './partition-rules';

/** Why this process cannot partition with nftables, or undefined when it can. */
export function firewallUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (nftables needs it)';
  try {
    nft(['--version']);
    return undefined;
  } catch {
    return 'no nft command (apt-get install nftables)';
  }
}

export function applyPartition(p: Partition): void {
  nft(['-f', '-'], renderPartition(p));
}

/**
 * Removes the cluster's partition chain if there is one, and the table once it holds no chain.
 * Returns whether a chain was there.
 */
export function healPartition(chain: string): boolean {
  if (!nftOk(['list', 'chain', 'inet', CHAOS_TABLE, chain])) return false;
  nft(['-f', '-'], renderHeal(chain));
  const left = nftText(['list', 'table', 'inet', CHAOS_TABLE]);
  if (left !== undefined && !/\bchain\b/.test(left))
    nftOk(['delete', 'table', 'inet', CHAOS_TABLE]);
  return true;
}

function nft(args: string[], input?: string): string {
  return execFileSync('nft', args, {
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 10_000,
  });
}

function nftText(args: string[]): string | undefined {
  try {
    return nft(args);
  } catch {
    return undefined;
  }
}

function nftOk(args: string[]): boolean {
  return nftText(args) !== undefined;
}
