import { randomInt } from 'node:crypto';
import {
  Command,
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  LeaseGrantResponse,
  MvccStore,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  StoreError,
  TxnRequest,
  TxnResponse,
  WatchOptions,
  Watcher,
  encodeCommand,
} from '@flotilla/store';
import { RaftNode } from '@flotilla/raft-node';
import { LeaseKeeper } from './lease-keeper';

/** Lease IDs stay below 2^53 so they survive as JS numbers end to end. */
const MAX_LEASE_ID = 2 ** 53 - 1;

/** A random ID in [1, 2^53): crypto's randomInt spans at most 2^48, so two draws are combined. */
function randomLeaseId(): number {
  return randomInt(0, 2 ** 21) * 2 ** 32 + randomInt(1, 2 ** 32);
}

/** Where lease IDs the client left to the server come from. */
export type LeaseIds = () => number;

/**
 * The replicated key-value store as its clients see it on any member: writes go through Raft
 * (a follower's are forwarded to the leader by the core), reads are linearizable through a
 * ReadIndex barrier unless serializable, watches are served from this member's applied state.
 */
export class ReplicatedStore {
  constructor(
    readonly node: RaftNode,
    readonly store: MvccStore,
    readonly leases: LeaseKeeper,
    /** How a linearizable read waits for its barrier (a master measures and gates it). */
    private readonly readBarrier: () => Promise<void> = () => node.readBarrier(),
    private readonly newLeaseId: LeaseIds = randomLeaseId,
  ) {}

  async range(req: RangeRequest): Promise<RangeResponse> {
    if (!req.serializable) await this.readBarrier();
    return this.store.range(req);
  }

  put(request: PutRequest): Promise<PutResponse> {
    return this.propose({ type: 'put', request }) as Promise<PutResponse>;
  }

  deleteRange(request: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    return this.propose({ type: 'deleteRange', request }) as Promise<DeleteRangeResponse>;
  }

  txn(request: TxnRequest): Promise<TxnResponse> {
    return this.propose({ type: 'txn', request }) as Promise<TxnResponse>;
  }

  compact(request: CompactionRequest): Promise<CompactionResponse> {
    return this.propose({ type: 'compact', request }) as Promise<CompactionResponse>;
  }

  async leaseGrant(ttl: number, id: number): Promise<LeaseGrantResponse> {
    const leaseId = id > 0 ? id : this.newLeaseId();
    if (leaseId > MAX_LEASE_ID)
      throw new StoreError('invalid-argument', 'etcdserver: lease ID out of range');
    return (await this.propose({
      type: 'leaseGrant',
      request: { id: leaseId, ttl },
    })) as LeaseGrantResponse;
  }

  leaseRevoke(id: number): Promise<{ header: { revision: number } }> {
    return this.propose({ type: 'leaseRevoke', request: { id } }) as Promise<{
      header: { revision: number };
    }>;
  }

  watch(options: WatchOptions): Watcher {
    return this.store.watch(options);
  }

  revision(): number {
    return this.store.revision;
  }

  private propose(cmd: Command): Promise<unknown> {
    return this.node.propose(encodeCommand(cmd));
  }
}
