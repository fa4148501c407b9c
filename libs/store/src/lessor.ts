// Lease expiry timing, kept by the Raft leader only. Not replicated and not deterministic state:
// it decides *when* to propose a LeaseRevoke; the revocation itself is a replicated command.
// Pure: every method takes `now` (ms) from the caller's clock.
import { errors } from './errors';
import { LeaseInfo } from './types';

export interface LessorOptions {
  /** After `expired()` reports a lease, wait this long before reporting it again (ms). */
  revokeRetryMs?: number;
  /** Keys attached to a lease (from the store), for timeToLive. */
  keysOf?: (id: number) => Buffer[];
}

export interface LeaseTimeToLive {
  id: number;
  /** Seconds left (rounded up); -1 when expired and awaiting revocation. */
  ttl: number;
  grantedTtl: number;
  keys: Buffer[];
}

interface Tracked {
  ttl: number;
  /** ms; Infinity while this node is not the leader. */
  expiry: number;
  /** ms before which `expired()` does not report this lease again. */
  retryAfter: number;
}

export class Lessor {
  private readonly leases = new Map<number, Tracked>();
  private primary = false;
  private readonly revokeRetryMs: number;
  private readonly keysOf: (id: number) => Buffer[];

  constructor(options: LessorOptions = {}) {
    this.revokeRetryMs = options.revokeRetryMs ?? 3000;
    this.keysOf = options.keysOf ?? (() => []);
  }

  get isPrimary(): boolean {
    return this.primary;
  }

  /** Call when a LeaseGrant was applied. `remainingTtl` (s) resumes a checkpointed lease. */
  grant(id: number, ttl: number, now: number, remainingTtl?: number): void {
    const seconds = remainingTtl ?? ttl;
    this.leases.set(id, {
      ttl,
      expiry: this.primary ? now + seconds * 1000 : Infinity,
      retryAfter: 0,
    });
  }

  /** Call when a LeaseRevoke was applied. */
  revoke(id: number): void {
    this.leases.delete(id);
  }

  /** Reconciles with the replicated lease table (e.g. after a snapshot restore or on start). */
  sync(leases: LeaseInfo[], now: number): void {
    const present = new Set<number>();
    for (const l of leases) {
      present.add(l.id);
      if (!this.leases.has(l.id)) this.grant(l.id, l.ttl, now, l.remainingTtl);
    }
    for (const id of [...this.leases.keys()]) if (!present.has(id)) this.leases.delete(id);
  }

  /** KeepAlive: restarts the lease's TTL; returns it (s). Only the leader renews. */
  renew(id: number, now: number): number {
    const l = this.leases.get(id);
    if (l === undefined) throw errors.leaseNotFound();
    if (!this.primary) throw errors.invalid('not leader');
    if (l.expiry <= now) throw errors.leaseNotFound();
    l.expiry = now + l.ttl * 1000;
    return l.ttl;
  }

  /**
   * This node became leader: every lease gets a full TTL from now (the old leader's deadlines are
   * unknown, and expiring them all at once would punish clients for the failover).
   */
  promote(now: number): void {
    this.primary = true;
    for (const l of this.leases.values()) {
      l.expiry = now + l.ttl * 1000;
      l.retryAfter = 0;
    }
  }

  /** This node is no longer leader: nothing expires here any more. */
  demote(): void {
    this.primary = false;
    for (const l of this.leases.values()) l.expiry = Infinity;
  }

  /**
   * Up to `max` lease IDs whose deadline has passed, earliest first, for the leader to propose
   * LeaseRevoke. A reported lease is not reported again for revokeRetryMs (the proposal may be
   * in flight or lost).
   */
  expired(now: number, max: number): number[] {
    if (!this.primary || max <= 0) return [];
    const due: Array<[number, Tracked]> = [];
    for (const entry of this.leases) {
      if (entry[1].expiry <= now && entry[1].retryAfter <= now) due.push(entry);
    }
    due.sort((a, b) => a[1].expiry - b[1].expiry || a[0] - b[0]);
    const picked = due.slice(0, max);
    for (const [, l] of picked) l.retryAfter = now + this.revokeRetryMs;
    return picked.map(([id]) => id);
  }

  timeToLive(id: number, now: number): LeaseTimeToLive | undefined {
    const l = this.leases.get(id);
    if (l === undefined) return undefined;
    let ttl = l.ttl;
    if (l.expiry !== Infinity) ttl = l.expiry <= now ? -1 : Math.ceil((l.expiry - now) / 1000);
    return { id, ttl, grantedTtl: l.ttl, keys: this.keysOf(id) };
  }

  /** Remaining TTLs to propose as a LeaseCheckpoint, so a failover resumes them. */
  checkpoints(now: number): Array<{ id: number; remainingTtl: number }> {
    if (!this.primary) return [];
    const out: Array<{ id: number; remainingTtl: number }> = [];
    for (const [id, l] of this.leases) {
      if (l.expiry > now) out.push({ id, remainingTtl: Math.ceil((l.expiry - now) / 1000) });
    }
    return out.sort((a, b) => a.id - b.id);
  }
}
