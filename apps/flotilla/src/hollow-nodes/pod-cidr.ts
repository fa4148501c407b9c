// Pod addresses of hollow node i: its /24 in 10.128.0.0/9 (room for 32768 nodes), hosts .2-.254.

export function podCidrOf(index: number): string {
  return `10.${128 + (index >> 8)}.${index & 255}.0/24`;
}

export function nodeIpOf(index: number): string {
  return `10.${128 + (index >> 8)}.${index & 255}.1`;
}

/** Hands out the addresses of one /24, reusing those of pods that are gone. */
export class PodIpPool {
  private readonly free: number[] = [];
  private next = 2;

  constructor(private readonly prefix: string) {}

  take(): string | undefined {
    const host = this.free.pop() ?? (this.next <= 254 ? this.next++ : undefined);
    return host === undefined ? undefined : `${this.prefix}.${host}`;
  }

  release(ip: string): void {
    const host = Number(ip.slice(ip.lastIndexOf('.') + 1));
    if (ip.startsWith(`${this.prefix}.`) && host >= 2 && host <= 254 && !this.free.includes(host))
      this.free.push(host);
  }
}
