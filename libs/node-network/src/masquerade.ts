// Pod traffic that leaves the cluster's pod ranges (to the nodes, the masters, the world) leaves
// with the node's address: nothing outside knows a route back to a pod. Traffic between pods keeps
// its addresses. One small table of our own, rewritten whole in one transaction.
import type { CommandRunner } from '@flotilla/kube-proxy';
import { parseCidr } from '@flotilla/kube-proxy';

export const POD_NETWORK_TABLE = 'flotilla-pod-network';

export function renderMasqueradeScript(
  family: 'ipv4' | 'ipv6',
  podCIDR: string,
  clusterCIDR: string,
): string {
  const pod = parseCidr(podCIDR);
  const cluster = parseCidr(clusterCIDR, { strict: false });
  if (!pod || !cluster || pod.family !== family || cluster.family !== family) {
    throw new Error(
      `pod CIDR ${podCIDR} and cluster CIDR ${clusterCIDR} must both be ${family} CIDRs`,
    );
  }
  const ipX = family === 'ipv4' ? 'ip' : 'ip6';
  const multicast = family === 'ipv4' ? '224.0.0.0/4' : 'ff00::/8';
  const table = `${ipX} ${POD_NETWORK_TABLE}`;
  return [
    `add table ${table} { comment "masquerade for pods reaching outside the cluster" ; }`,
    `add chain ${table} postrouting { type nat hook postrouting priority 100 ; }`,
    `flush chain ${table} postrouting`,
    `add rule ${table} postrouting ${ipX} saddr ${pod.text} ${ipX} daddr != ${cluster.text} ${ipX} daddr != ${multicast} masquerade fully-random`,
    '',
  ].join('\n');
}

export async function applyNft(runner: CommandRunner, script: string): Promise<void> {
  const r = await runner.run('nft', ['-f', '-'], script);
  if (r.code !== 0)
    throw new Error(
      `nft -f failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(0, 4).join(' | ')}`,
    );
}

/** Removes the table of a family; false when there was none. */
export async function deleteMasqueradeTable(
  runner: CommandRunner,
  family: 'ipv4' | 'ipv6',
): Promise<boolean> {
  const r = await runner.run('nft', [
    'delete',
    'table',
    family === 'ipv4' ? 'ip' : 'ip6',
    POD_NETWORK_TABLE,
  ]);
  if (r.code === 0) return true;
  if (/No such file or directory/.test(r.stderr)) return false;
  throw new Error(`nft delete table failed: ${r.stderr.trim()}`);
}
