// The replicated side of leases: which leases exist, their TTLs, and which keys each holds.
// Expiry timing is not here (see Lessor): revocation arrives as a command like any other. Pure.
import { LeaseInfo } from './types';

interface LeaseEntry extends LeaseInfo {
  /** Index keys (latin1) of the keys attached to this lease. */
  keys: Set<string>;
}

export class LeaseTable {
  private readonly leases = new Map<number, LeaseEntry>();

  has(id: number): boolean {
    return this.leases.has(id);
  }

  get(id: number): LeaseInfo | undefined {
    const l = this.leases.get(id);
    return l === undefined ? undefined : toInfo(l);
  }

  grant(id: number, ttl: number, remainingTtl?: number): void {
    this.leases.set(id, { id, ttl, remainingTtl, keys: new Set() });
  }

  checkpoint(id: number, remainingTtl: number): boolean {
    const l = this.leases.get(id);
    if (l === undefined) return false;
    l.remainingTtl = remainingTtl;
    return true;
  }

  remove(id: number): void {
    this.leases.delete(id);
  }

  attach(id: number, key: string): void {
    if (id !== 0) this.leases.get(id)?.keys.add(key);
  }

  detach(id: number, key: string): void {
    if (id !== 0) this.leases.get(id)?.keys.delete(key);
  }

  /** Attached keys in byte order (deterministic revocation order). */
  keysOf(id: number): string[] {
    const l = this.leases.get(id);
    return l === undefined ? [] : [...l.keys].sort();
  }

  /** All leases, by ascending id. */
  list(): LeaseInfo[] {
    return [...this.leases.values()].sort((a, b) => a.id - b.id).map(toInfo);
  }

  clear(): void {
    this.leases.clear();
  }
}

function toInfo(l: LeaseEntry): LeaseInfo {
  return l.remainingTtl === undefined
    ? { id: l.id, ttl: l.ttl }
    : { id: l.id, ttl: l.ttl, remainingTtl: l.remainingTtl };
}
