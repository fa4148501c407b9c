// The pod ranges of a cluster CIDR cut into equal subnets, one per node (Kubernetes' cidrset):
// which are taken, and the next free one, handed out round-robin so that a range just released is
// the last to be given again.

export interface Ipv4Cidr {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  bits: number;
}

export function parseIpv4(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** "10.244.0.0/16" (a host address names its network, as net.ParseCIDR does); undefined if not IPv4. */
export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseIpv4(text.slice(0, slash).trim());
  const bitsText = text.slice(slash + 1).trim();
  if (addr === undefined || !/^\d{1,2}$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > 32) return undefined;
  return { base: (addr & mask(bits)) >>> 0, bits };
}

export function formatCidr(c: Ipv4Cidr): string {
  return `${formatIpv4(c.base)}/${c.bits}`;
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
}

/** Subnets per cluster CIDR at most (Kubernetes refuses a node mask more than 16 bits longer). */
const MAX_SUBNET_BITS = 16;

export class CidrSet {
  readonly cluster: Ipv4Cidr;
  readonly subnetBits: number;
  readonly size: number;
  private readonly used: Uint8Array;
  private next = 0;
  private count = 0;

  constructor(clusterCidr: string, nodeMaskSize: number) {
    const cluster = parseIpv4Cidr(clusterCidr);
    if (!cluster)
      throw new Error(`--cluster-cidr: ${JSON.stringify(clusterCidr)} is not an IPv4 CIDR`);
    if (!Number.isInteger(nodeMaskSize) || nodeMaskSize < cluster.bits || nodeMaskSize > 32) {
      throw new Error(
        `--node-cidr-mask-size: ${nodeMaskSize} must be between the cluster CIDR's /${cluster.bits} and /32`,
      );
    }
    if (nodeMaskSize - cluster.bits > MAX_SUBNET_BITS) {
      throw new Error(
        `--node-cidr-mask-size: /${nodeMaskSize} cuts ${formatCidr(cluster)} into more than 2^${MAX_SUBNET_BITS} ranges`,
      );
    }
    this.cluster = cluster;
    this.subnetBits = nodeMaskSize;
    this.size = 2 ** (nodeMaskSize - cluster.bits);
    this.used = new Uint8Array(this.size);
  }

  get allocated(): number {
    return this.count;
  }

  /** The next free range after the last one handed out, marked taken; undefined when full. */
  allocateNext(): string | undefined {
    for (let i = 0; i < this.size; i++) {
      const at = (this.next + i) % this.size;
      if (this.used[at]) continue;
      this.used[at] = 1;
      this.count++;
      this.next = (at + 1) % this.size;
      return this.cidrAt(at);
    }
    return undefined;
  }

  /**
   * Marks `cidr` taken (every subnet it covers, when it is larger than one). False when it is not
   * an IPv4 CIDR inside the cluster CIDR (nothing is marked then).
   */
  occupy(cidr: string): boolean {
    const span = this.span(cidr);
    if (!span) return false;
    for (let i = span.first; i <= span.last; i++) {
      if (!this.used[i]) this.count++;
      this.used[i] = 1;
    }
    return true;
  }

  release(cidr: string): void {
    const span = this.span(cidr);
    if (!span) return;
    for (let i = span.first; i <= span.last; i++) {
      if (this.used[i]) this.count--;
      this.used[i] = 0;
    }
  }

  isTaken(cidr: string): boolean {
    const span = this.span(cidr);
    if (!span) return false;
    for (let i = span.first; i <= span.last; i++) if (this.used[i]) return true;
    return false;
  }

  private cidrAt(index: number): string {
    const step = 2 ** (32 - this.subnetBits);
    return formatCidr({ base: (this.cluster.base + index * step) >>> 0, bits: this.subnetBits });
  }

  /** The subnets `cidr` covers, if it lies in the cluster CIDR. */
  private span(cidr: string): { first: number; last: number } | undefined {
    const c = parseIpv4Cidr(cidr);
    if (!c || c.bits < this.cluster.bits) return undefined;
    if ((c.base & mask(this.cluster.bits)) >>> 0 !== this.cluster.base) return undefined;
    const step = 2 ** (32 - this.subnetBits);
    const offset = c.base - this.cluster.base;
    const first = Math.floor(offset / step);
    const covered = c.bits >= this.subnetBits ? 1 : 2 ** (this.subnetBits - c.bits);
    return { first, last: first + covered - 1 };
  }
}
