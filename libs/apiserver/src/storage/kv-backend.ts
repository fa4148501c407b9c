import type {
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
  WatchOptions,
  WatchResponse,
} from '@flotilla/store';

/** A store watch as the API server consumes it: responses in order, cancel to stop. */
export interface KvWatch extends AsyncIterable<WatchResponse> {
  cancel(): void;
}

/**
 * The part of the replicated store the API server uses. The control plane hands in the
 * ReplicatedStore; unit tests hand in a local MvccStore.
 */
export interface KvBackend {
  /** Linearizable unless `serializable`. */
  range(req: RangeRequest): Promise<RangeResponse>;
  txn(req: TxnRequest): Promise<TxnResponse>;
  watch(opts: WatchOptions): KvWatch;
  /** This member's applied revision. */
  revision(): number;
  compactRevision(): number;
  /** Asks the store to send a progress notification to idle watchers that want one. */
  progress(): void;
  /**
   * Store leases, for keys that must vanish when their writer stops renewing them; a txn put
   * attaches a key to one. TTLs in seconds.
   */
  leaseGrant(ttlSeconds: number): Promise<number>;
  /** Restarts the lease's TTL; throws StoreError 'lease-not-found' once it has lapsed. */
  leaseKeepAlive(id: number): Promise<void>;
  /** Ends the lease now, deleting its keys; throws StoreError 'lease-not-found' if gone. */
  leaseRevoke(id: number): Promise<void>;
}

/** What a ReplicatedStore (libs/replicated-store) offers; kept structural so this lib does not import it. */
export interface ReplicatedStoreLike {
  range(req: RangeRequest): Promise<RangeResponse>;
  txn(req: TxnRequest): Promise<TxnResponse>;
  watch(opts: WatchOptions): KvWatch;
  revision(): number;
  store: { compactRevision: number; progress(all?: boolean): void };
  leaseGrant(ttl: number, id: number): Promise<{ id: number }>;
  leaseRevoke(id: number): Promise<unknown>;
  /** Lease deadlines live on the Raft leader; a follower's keep-alive goes there. */
  leases: { keepAlive(id: number): Promise<number> };
}

export function backendOf(replicated: ReplicatedStoreLike): KvBackend {
  return {
    range: (req) => replicated.range(req),
    txn: (req) => replicated.txn(req),
    watch: (opts) => replicated.watch(opts),
    revision: () => replicated.revision(),
    compactRevision: () => replicated.store.compactRevision,
    progress: () => replicated.store.progress(false),
    leaseGrant: async (ttl) => (await replicated.leaseGrant(ttl, 0)).id,
    leaseKeepAlive: async (id) => {
      await replicated.leases.keepAlive(id);
    },
    leaseRevoke: async (id) => {
      await replicated.leaseRevoke(id);
    },
  };
}
