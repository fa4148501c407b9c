// Request and response shapes mirroring etcd's v3 messages (camelCase field names), so the
// etcd-api facade maps protobuf onto them one to one.
//
// Revisions and lease IDs are plain JS numbers: exact up to 2^53 - 1. etcd uses int64; a cluster
// would need ~285 years at a million writes a second to reach 2^53 revisions. Lease IDs must be
// chosen by the proposer within that range (the etcd-api layer maps them).

/** Keys and values are binary: any Uint8Array is accepted, Buffers are returned. */
export type Bytes = Uint8Array;

export interface ResponseHeader {
  /** The store revision when the response was produced (after the write, for writes). */
  revision: number;
}

export interface KeyValue {
  key: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
  value: Buffer;
  lease: number;
}

export enum SortOrder {
  NONE = 0,
  ASCEND = 1,
  DESCEND = 2,
}

export enum SortTarget {
  KEY = 0,
  VERSION = 1,
  CREATE = 2,
  MOD = 3,
  VALUE = 4,
}

export interface RangeRequest {
  key: Bytes;
  /** Empty: the single key. [0x00]: every key >= key. Otherwise the half-open range [key, rangeEnd). */
  rangeEnd?: Bytes;
  limit?: number;
  /** 0 or absent: the current revision. */
  revision?: number;
  sortOrder?: SortOrder;
  sortTarget?: SortTarget;
  /** Accepted for shape compatibility; the store always reads its own applied state. */
  serializable?: boolean;
  keysOnly?: boolean;
  countOnly?: boolean;
  minModRevision?: number;
  maxModRevision?: number;
  minCreateRevision?: number;
  maxCreateRevision?: number;
}

export interface RangeResponse {
  header: ResponseHeader;
  kvs: KeyValue[];
  more: boolean;
  /** Number of keys in the range at the read revision, before limit and min/max filters. */
  count: number;
}

export interface PutRequest {
  key: Bytes;
  value?: Bytes;
  lease?: number;
  prevKv?: boolean;
  ignoreValue?: boolean;
  ignoreLease?: boolean;
}

export interface PutResponse {
  header: ResponseHeader;
  prevKv?: KeyValue;
}

export interface DeleteRangeRequest {
  key: Bytes;
  rangeEnd?: Bytes;
  prevKv?: boolean;
}

export interface DeleteRangeResponse {
  header: ResponseHeader;
  deleted: number;
  prevKvs: KeyValue[];
}

export enum CompareResult {
  EQUAL = 0,
  GREATER = 1,
  LESS = 2,
  NOT_EQUAL = 3,
}

export enum CompareTarget {
  VERSION = 0,
  CREATE = 1,
  MOD = 2,
  VALUE = 3,
  LEASE = 4,
}

export interface Compare {
  result: CompareResult;
  target: CompareTarget;
  key: Bytes;
  rangeEnd?: Bytes;
  version?: number;
  createRevision?: number;
  modRevision?: number;
  value?: Bytes;
  lease?: number;
}

export type RequestOp =
  | { requestRange: RangeRequest }
  | { requestPut: PutRequest }
  | { requestDeleteRange: DeleteRangeRequest }
  | { requestTxn: TxnRequest };

export type ResponseOp =
  | { responseRange: RangeResponse }
  | { responsePut: PutResponse }
  | { responseDeleteRange: DeleteRangeResponse }
  | { responseTxn: TxnResponse };

export interface TxnRequest {
  compare?: Compare[];
  success?: RequestOp[];
  failure?: RequestOp[];
}

export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface CompactionRequest {
  revision: number;
  /** Accepted for shape compatibility; apply returns once the index is compacted either way. */
  physical?: boolean;
}

export interface CompactionResponse {
  header: ResponseHeader;
}

export interface LeaseGrantRequest {
  /** Chosen by the proposer (etcd's server picks it before proposing); must be > 0. */
  id: number;
  /** Seconds. */
  ttl: number;
}

export interface LeaseGrantResponse {
  header: ResponseHeader;
  id: number;
  ttl: number;
}

export interface LeaseRevokeRequest {
  id: number;
}

export interface LeaseRevokeResponse {
  header: ResponseHeader;
}

export interface LeaseCheckpoint {
  id: number;
  /** Seconds left when the leader checkpointed, so a new leader does not restart the full TTL. */
  remainingTtl: number;
}

export interface LeaseCheckpointRequest {
  checkpoints: LeaseCheckpoint[];
}

export interface LeaseCheckpointResponse {
  header: ResponseHeader;
}

/** One replicated store command: the payload of a committed Raft entry. */
export type Command =
  | { type: 'put'; request: PutRequest }
  | { type: 'deleteRange'; request: DeleteRangeRequest }
  | { type: 'txn'; request: TxnRequest }
  | { type: 'compact'; request: CompactionRequest }
  | { type: 'leaseGrant'; request: LeaseGrantRequest }
  | { type: 'leaseRevoke'; request: LeaseRevokeRequest }
  | { type: 'leaseCheckpoint'; request: LeaseCheckpointRequest };

export type CommandResponse =
  | PutResponse
  | DeleteRangeResponse
  | TxnResponse
  | CompactionResponse
  | LeaseGrantResponse
  | LeaseRevokeResponse
  | LeaseCheckpointResponse;

export interface LeaseInfo {
  id: number;
  /** Granted TTL in seconds. */
  ttl: number;
  /** Last checkpointed remaining TTL in seconds, if any. */
  remainingTtl?: number;
}

export enum EventType {
  PUT = 0,
  DELETE = 1,
}

export interface WatchEvent {
  type: EventType;
  /** For DELETE: key and modRevision (the deletion revision) only, as etcd does. */
  kv: KeyValue;
  prevKv?: KeyValue;
}

export interface WatchResponse {
  header: ResponseHeader;
  watchId: number;
  events: WatchEvent[];
  /** Set when the watch was cancelled because its start revision was compacted. */
  compactRevision?: number;
  canceled?: boolean;
  cancelReason?: string;
  /** True for a progress notification (no events; header.revision is the store revision). */
  progressNotify?: boolean;
}

export interface WatchOptions {
  key: Bytes;
  rangeEnd?: Bytes;
  /** 0 or absent: from the next revision. */
  startRevision?: number;
  prevKv?: boolean;
  filters?: { noPut?: boolean; noDelete?: boolean };
  /** Receive notifications sent by `progress()` while idle. */
  progressNotify?: boolean;
}
