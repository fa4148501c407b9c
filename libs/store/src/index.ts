// @flotilla/store: the MVCC key-value state machine (etcd v3 semantics) applied from Raft.
export * from './types';
export { StoreError, MSG_COMPACTED, MSG_FUTURE_REV } from './errors';
export type { StoreErrorCode } from './errors';
export { encodeCommand, decodeCommand } from './command-codec';
export { MvccStore } from './mvcc-store';
export type { Db, OpenDb } from './db';
export type { MvccStoreOptions, ApplyEntry, ApplyOutcome } from './mvcc-store';
export { StoreSnapshot, DEFAULT_SNAPSHOT_CHUNK_BYTES } from './snapshot';
export type { SnapshotMeta } from './snapshot';
export { Watcher } from './watcher';
export { Lessor } from './lessor';
export type { LessorOptions, LeaseTimeToLive } from './lessor';
export { DEFAULT_MAX_TXN_OPS } from './txn-check';
export { prefixEnd } from './key-range';
