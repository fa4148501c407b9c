// IP addresses and CIDRs as Kubernetes accepts them, in one canonical spelling so that keys built
// from them compare equal however the API spelled them.
import { isIPv4, isIPv6 } from 'node:net';

export type IPFamily = 'ipv4' | 'ipv6';

/** The canonical address, or undefined when `text` is not an IP address (IPv4 with leading zeros
 *  is refused, as Kubernetes validation does). */
export function parseIP(text: unknown): { ip: string; family: IPFamily } | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > 45) return undefined;
  if (isIPv4(text)) {
    if (text.split('.').some((part) => part.length > 1 && part.startsWith('0'))) return undefined;
    return { ip: text, family: 'ipv4' };
  }
  if (isIPv6(text) && !text.includes('%')) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
    if (mapped) return undefined; // an IPv4 address in disguise: ambiguous as a Service address
    return { ip: canonicalIPv6(text), family: 'ipv6' };
  }
  return undefined;
}

export function ipFamilyOf(text: string): IPFamily | undefined {
  return parseIP(text)?.family;
}

export interface Cidr {
  /** The network address, canonical. */
  ip: string;
  prefix: number;
  family: IPFamily;
  /** "ip/prefix", canonical. */
  text: string;
}

/** A CIDR whose host bits are zero (as a route or a pod range must be), or undefined. */
export function parseCidr(text: unknown, { strict = true } = {}): Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseIP(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!addr || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const bits = addr.family === 'ipv4' ? 32 : 128;
  if (prefix > bits) return undefined;
  const value = ipToBigInt(addr.ip);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if (strict && (value & hostMask) !== 0n) return undefined;
  const network = bigIntToIP(value & ~hostMask, addr.family);
  return { ip: network, prefix, family: addr.family, text: `${network}/${prefix}` };
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  const addr = parseIP(ip);
  if (!addr || addr.family !== cidr.family) return false;
  const bits = cidr.family === 'ipv4' ? 32 : 128;
  const shift = BigInt(bits - cidr.prefix);
  return ipToBigInt(addr.ip) >> shift === ipToBigInt(cidr.ip) >> shift;
}

export function ipToBigInt(ip: string): bigint {
  if (isIPv4(ip)) {
    return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
  }
  const groups = expandIPv6(ip);
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

export function bigIntToIP(value: bigint, family: IPFamily): string {
  if (family === 'ipv4') {
    return [24n, 16n, 8n, 0n].map((s) => Number((value >> s) & 255n)).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  return formatIPv6(groups);
}

/** The n-th address of a CIDR (0 is the network address). */
export function cidrAddress(cidr: Cidr, n: number): string {
  return bigIntToIP(ipToBigInt(cidr.ip) + BigInt(n), cidr.family);
}

function canonicalIPv6(text: string): string {
  return formatIPv6(expandIPv6(text));
}

/** Eight 16-bit groups of an IPv6 address (an embedded dotted IPv4 tail included). */
function expandIPv6(text: string): number[] {
  let s = text.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const p = v4[1].split('.').map(Number);
    s =
      s.slice(0, -v4[1].length) +
      `${((p[0] << 8) | p[1]).toString(16)}:${((p[2] << 8) | p[3]).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const all =
    tail === undefined ? headGroups : [...headGroups, ...Array(missing).fill('0'), ...tailGroups];
  return all.map((g) => parseInt(g, 16));
}

/** RFC 5952: lowercase, no leading zeros, the longest run (>1) of zero groups as "::". */
function formatIPv6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
