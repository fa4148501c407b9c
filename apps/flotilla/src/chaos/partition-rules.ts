// A network partition of one master on this machine, as nftables text: each master of
// `flotilla up` talks Raft on a loopback address of its own (127.0.10.N), so dropping every
// packet between the isolated member's address and the others' (on the cluster's peer ports)
// cuts it off while its client ports, on another address, keep serving. Pure: addresses in, text
// out; partition-firewall.ts applies it.
import { isIP } from 'node:net';

/** The table every partition lives in; one chain per cluster (named after its first peer port). */
export const CHAOS_TABLE = 'flotilla-chaos';
/** Before any filter of the default priority (0), so no accept elsewhere lets a packet through. */
const INPUT_PRIORITY = -10;

export interface PeerEndpoint {
  name: string;
  host: string;
  port: number;
}

export interface Partition {
  /** The chain of this cluster in CHAOS_TABLE. */
  chain: string;
  isolated: PeerEndpoint;
  others: PeerEndpoint[];
}

/**
 * The partition of `isolated` from the rest, or why there can be none: members sharing an
 * address (a cluster started without their own peer addresses) cannot be told apart by a rule.
 */
export function planPartition(
  members: readonly PeerEndpoint[],
  isolatedName: string,
): Partition | { impossible: string } {
  const isolated = members.find((m) => m.name === isolatedName);
  if (!isolated) return { impossible: `no member ${isolatedName}` };
  const others = members.filter((m) => m.name !== isolatedName);
  const family = isIP(isolated.host);
  if (family === 0) return { impossible: `${isolated.name}'s peer host is not an IP address` };
  const shared = others.filter((m) => m.host === isolated.host).map((m) => m.name);
  if (shared.length > 0) {
    return {
      impossible: `${isolated.name} shares its Raft address ${isolated.host} with ${shared.join(', ')}`,
    };
  }
  if (others.some((m) => isIP(m.host) !== family)) {
    return { impossible: 'the members talk Raft over different address families' };
  }
  return { chain: partitionChain(members), isolated, others };
}

/** One chain per cluster: its members' lowest peer port tells clusters on one machine apart. */
export function partitionChain(members: readonly Pick<PeerEndpoint, 'port'>[]): string {
  return `partition-${Math.min(...members.map((m) => m.port))}`;
}

/**
 * An nft -f script: the table (kept if there), this cluster's chain made afresh, and four drops:
 * both directions between the isolated address and the others', on any of the peer ports (the
 * dialed member's port is the destination one way and the source the other way).
 */
export function renderPartition(p: Partition): string {
  const ip = isIP(p.isolated.host) === 6 ? 'ip6' : 'ip';
  const set = (items: readonly (string | number)[]) => `{ ${[...new Set(items)].join(', ')} }`;
  const isolated = p.isolated.host;
  const others = set(p.others.map((m) => m.host));
  const ports = set([p.isolated, ...p.others].map((m) => m.port).sort((a, b) => a - b));
  const chain = `inet ${CHAOS_TABLE} ${p.chain}`;
  return [
    `add table inet ${CHAOS_TABLE}`,
    `add chain ${chain} { type filter hook input priority ${INPUT_PRIORITY}; policy accept; }`,
    `flush chain ${chain}`,
    `add rule ${chain} ${ip} saddr ${isolated} ${ip} daddr ${others} tcp dport ${ports} drop`,
    `add rule ${chain} ${ip} saddr ${isolated} ${ip} daddr ${others} tcp sport ${ports} drop`,
    `add rule ${chain} ${ip} saddr ${others} ${ip} daddr ${isolated} tcp dport ${ports} drop`,
    `add rule ${chain} ${ip} saddr ${others} ${ip} daddr ${isolated} tcp sport ${ports} drop`,
    '',
  ].join('\n');
}

/** An nft -f script removing the cluster's chain (the table goes when no chain is left in it). */
export function renderHeal(chain: string): string {
  const c = `inet ${CHAOS_TABLE} ${chain}`;
  return [`flush chain ${c}`, `delete chain ${c}`, ''].join('\n');
}
