// The address ranges Services draw from: the ClusterIP range (--service-cidr) and the NodePort
// range (--service-node-port-range). Plain parsing, no imports: the control plane's and the CLI's
// flag validation use it too.

export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';
export const DEFAULT_NODE_PORT_RANGE = '30000-32767';

export interface ServiceCidr {
  text: string;
  /** The network address as a number, and how many addresses the range holds. */
  base: number;
  size: number;
}

export interface NodePortRange {
  min: number;
  max: number;
}

export interface ServiceRanges {
  cidr: ServiceCidr;
  nodePorts: NodePortRange;
}

/** `10.96.0.0/12`; a host address (10.96.0.5/12) names its network (`text` is 10.96.0.0/12), as net.ParseCIDR does. */
export function parseServiceCidr(text: string): ServiceCidr {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  const bits = m ? Number(m[5]) : -1;
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || bits < 8 || bits > 30) {
    throw new Error(`${JSON.stringify(text)} is not an IPv4 CIDR between /8 and /30`);
  }
  const size = 2 ** (32 - bits);
  const addr = ipToNumber(m.slice(1, 5).join('.'))!;
  const base = addr - (addr % size);
  return { text: `${numberToIp(base)}/${bits}`, base, size };
}

/** `30000-32767`: both ends included. */
export function parseNodePortRange(text: string): NodePortRange {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
  const min = m ? Number(m[1]) : NaN;
  const max = m ? Number(m[2]) : NaN;
  if (!(min >= 1 && max <= 65535)) {
    throw new Error(`${JSON.stringify(text)} is not a port range like 30000-32767 (ports 1-65535)`);
  }
  if (min > max) throw new Error(`${JSON.stringify(text)} starts above its end`);
  return { min, max };
}

export function formatNodePortRange(r: NodePortRange): string {
  return `${r.min}-${r.max}`;
}

/** The first address of the range (10.96.0.1 for 10.96.0.0/12): the kubernetes Service's. */
export function firstServiceIp(cidr: ServiceCidr): string {
  return numberToIp(cidr.base + 1);
}

export function ipToNumber(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] * 256 + parts[1]) * 256 + parts[2]) * 256 + parts[3];
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
