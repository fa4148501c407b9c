// --nodeport-addresses: which local addresses accept NodePort traffic. "primary" (the default in
// nftables mode) means the node's own addresses; CIDRs select local addresses; a CIDR of every
// address (0.0.0.0/0, ::/0) means all of them.
import { IPFamily, cidrContains, parseCidr, parseIP } from './ip';

export type NodePortAddressSpec = readonly string[];

/** Validates the flag's values; returns an error message for the first bad one. */
export function checkNodePortAddresses(spec: NodePortAddressSpec): string | undefined {
  for (const item of spec) {
    if (item === 'primary') continue;
    if (!parseCidr(item, { strict: false }))
      return `${JSON.stringify(item)} is neither "primary" nor a CIDR`;
  }
  return undefined;
}

export function resolveNodePortIPs(
  spec: NodePortAddressSpec,
  family: IPFamily,
  nodeIPs: readonly string[],
  localAddresses: readonly string[],
): string[] | 'all' {
  const own = (ips: readonly string[]) => ips.filter((ip) => parseIP(ip)?.family === family);
  if (spec.length === 0) return own(nodeIPs);
  const out = new Set<string>();
  for (const item of spec) {
    if (item === 'primary') {
      for (const ip of own(nodeIPs)) out.add(ip);
      continue;
    }
    const cidr = parseCidr(item, { strict: false });
    if (!cidr || cidr.family !== family) continue;
    if (cidr.prefix === 0) return 'all';
    for (const ip of own(localAddresses))
      if (cidrContains(cidr, ip)) out.add(parseIP(ip)?.ip ?? ip);
  }
  return [...out];
}
