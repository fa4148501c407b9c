import { Clock, Timer, systemClock } from '@flotilla/io';
import { LeaseTimeToLive, Lessor, MvccStore, StoreError, encodeCommand } from '@flotilla/store';
import { NodeId } from '@flotilla/raft';
import { RaftNode, RaftNodeError } from '@flotilla/raft-node';

/** Calls the leader for what only the leader knows (lease deadlines). */
export interface LeaderCall {
  call(to: NodeId, method: string, body: unknown, timeoutMs?: number): Promise<unknown>;
}

export const LEASE_KEEPALIVE = 'lease.keepAlive';
export const LEASE_TTL = 'lease.timeToLive';

/**
 * Lease expiry, decided by the leader alone and replicated as LeaseRevoke commands, so every
 * member deletes the same keys at the same revision. A new leader gives every lease a full TTL
 * rather than expiring them all at once; keep-alives and TTL queries on a follower go to the
 * leader, which holds the deadlines.
 */
export class LeaseKeeper {
  readonly lessor: Lessor;
  private timer: Timer | undefined;

  constructor(
    private readonly node: RaftNode,
    private readonly store: MvccStore,
    private readonly leader: LeaderCall,
    private readonly clock: Clock = systemClock,
    private readonly intervalMs = 250,
  ) {
    this.lessor = new Lessor({ keysOf: (id) => store.leaseKeys(id) });
  }

  private now(): number {
    return this.clock.now();
  }

  start(): void {
    this.node.on('leader', (_lead: NodeId, role: string) => {
      if (role === 'leader') {
        this.lessor.sync(this.store.leases(), this.now());
        this.lessor.promote(this.now());
      } else {
        this.lessor.demote();
      }
    });
    this.timer = this.clock.setInterval(() => void this.expire(), this.intervalMs);
  }

  stop(): void {
    this.clock.clearInterval(this.timer);
  }

  private async expire(): Promise<void> {
    if (!this.node.isLeader()) return;
    this.lessor.sync(this.store.leases(), this.now());
    for (const id of this.lessor.expired(this.now(), 64)) {
      this.node.propose(encodeCommand({ type: 'leaseRevoke', request: { id } })).catch(() => {
        /* retried after the lessor's back-off */
      });
    }
  }

  /** The leader renews; a follower asks the leader. Returns the TTL in seconds. */
  async keepAlive(id: number): Promise<number> {
    if (this.node.isLeader()) {
      this.syncIfUnknown(id);
      return this.lessor.renew(id, this.now());
    }
    return (await this.viaLeader(LEASE_KEEPALIVE, { id })) as number;
  }

  async timeToLive(id: number): Promise<LeaseTimeToLive | undefined> {
    if (this.node.isLeader()) {
      this.syncIfUnknown(id);
      return this.lessor.timeToLive(id, this.now());
    }
    const r = (await this.viaLeader(LEASE_TTL, { id })) as LeaseTimeToLive | null;
    if (!r) return undefined;
    return { ...r, keys: r.keys.map((k) => Buffer.from(k)) };
  }

  /** A lease granted since the last periodic reconcile is picked up before it is answered for. */
  private syncIfUnknown(id: number): void {
    if (this.lessor.timeToLive(id, this.now()) === undefined)
      this.lessor.sync(this.store.leases(), this.now());
  }

  /** Serves a follower's call on the leader. */
  async serve(method: string, body: unknown): Promise<unknown> {
    const { id } = body as { id: number };
    if (method === LEASE_KEEPALIVE) return this.keepAlive(id);
    if (method === LEASE_TTL) return (await this.timeToLive(id)) ?? null;
    throw new RaftNodeError('no-leader', `unknown call ${method}`);
  }

  private async viaLeader(method: string, body: unknown): Promise<unknown> {
    const lead = this.node.leader();
    if (!lead) throw new RaftNodeError('no-leader', 'raft: no leader');
    try {
      return await this.leader.call(lead, method, body);
    } catch (e) {
      const err = e as Error & { code?: string };
      // Store errors (lease not found) travel by code; rebuild the typed error here.
      if (err.code === 'lease-not-found') throw new StoreError('lease-not-found', err.message);
      if (err.code === 'timeout') throw new RaftNodeError('timeout', err.message);
      throw new RaftNodeError('no-leader', err.message);
    }
  }
}
