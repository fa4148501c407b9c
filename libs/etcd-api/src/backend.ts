import type {
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
  WatchOptions,
  Watcher,
} from '@flotilla/store';

/**
 * The life of the gRPC call a backend request serves, as Go's context.Context is for etcd: how
 * long the client waits, and word when it stops waiting, so that what the request holds (a
 * read waiting on a Raft read barrier, a proposal's listener) is let go of then.
 */
export interface RequestContext {
  /** When the client stops waiting (Date.now() milliseconds), from its grpc-timeout. */
  readonly deadline: number | undefined;
  /**
   * Runs `listener` once when the call is given up (deadline passed, client cancelled,
   * connection lost); at once if it already was. Returns what removes the listener.
   */
  onDone(listener: () => void): () => void;
}

/**
 * What the etcd v3 facade needs from a member. The control plane implements it over Raft and
 * the MVCC store (writes proposed through Raft, linearizable reads through ReadIndex); tests
 * implement it over a single store. Errors are thrown as BackendError or the store's StoreError.
 */
export interface EtcdBackend {
  /** Identity for response headers: etcd's uint64 cluster and member IDs. */
  identity(): { clusterId: bigint; memberId: bigint };
  /** The current Raft term, for response headers. */
  raftTerm(): number;
  /** The store's current revision, for headers of responses that carry none of their own. */
  revision(): number;

  /** Linearizable (ReadIndex) unless `req.serializable`, which reads local state. */
  range(req: RangeRequest, ctx?: RequestContext): Promise<RangeResponse>;
  put(req: PutRequest, ctx?: RequestContext): Promise<PutResponse>;
  deleteRange(req: DeleteRangeRequest, ctx?: RequestContext): Promise<DeleteRangeResponse>;
  txn(req: TxnRequest, ctx?: RequestContext): Promise<TxnResponse>;
  compact(req: CompactionRequest, ctx?: RequestContext): Promise<CompactionResponse>;

  /** id 0 lets the backend choose one. Returns the granted id and TTL (seconds). */
  leaseGrant(ttl: number, id: number): Promise<{ id: number; ttl: number; revision: number }>;
  leaseRevoke(id: number): Promise<{ revision: number }>;
  /** Renews on the leader; returns the TTL granted again (seconds). Throws lease-not-found. */
  leaseKeepAlive(id: number): Promise<{ ttl: number; revision: number }>;
  /** Remaining TTL (seconds, -1 if expired), granted TTL, and attached keys when asked. */
  leaseTimeToLive(
    id: number,
    keys: boolean,
  ): Promise<{ ttl: number; grantedTtl: number; keys: Buffer[]; revision: number }>;
  leases(): Promise<{ ids: number[]; revision: number }>;

  /** A store watcher; the facade multiplexes many on one Watch stream. */
  watch(opts: WatchOptions): Watcher;
  /** Ask the store to send progress notifications to idle watchers that want them. */
  requestProgress(): void;

  memberList(): Promise<MemberInfo[]>;
  /** `name` is Flotilla's extension; without it the backend derives one from the peer URL. */
  memberAdd(
    peerUrls: string[],
    isLearner: boolean,
    name?: string,
  ): Promise<{ member: MemberInfo; members: MemberInfo[] }>;
  memberRemove(id: bigint): Promise<MemberInfo[]>;
  memberPromote(id: bigint): Promise<MemberInfo[]>;

  status(): Promise<MemberStatus>;
  /** A consistent snapshot of the store, as a stream of chunks (the etcdctl `snapshot save` file). */
  snapshot(): AsyncIterable<Uint8Array>;
}

export interface MemberInfo {
  id: bigint;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

export interface MemberStatus {
  version: string;
  dbSize: number;
  dbSizeInUse: number;
  leader: bigint;
  raftIndex: number;
  raftTerm: number;
  raftAppliedIndex: number;
  isLearner: boolean;
  errors: string[];
}

/** Failures that are not the store's own: mapped to etcd's gRPC codes and messages. */
export type BackendErrorCode =
  | 'no-leader'
  | 'timeout'
  | 'leader-changed'
  | 'too-many-requests'
  | 'request-too-large'
  | 'stopping'
  | 'member-not-found'
  | 'member-exists'
  | 'learner-not-ready'
  | 'member-not-learner'
  | 'unhealthy-cluster'
  | 'invalid-argument';

export class BackendError extends Error {
  constructor(
    readonly code: BackendErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BackendError';
  }
}
