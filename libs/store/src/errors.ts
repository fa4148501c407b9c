// Store errors carry etcd's own messages so the etcd-api layer can hand them to clients verbatim;
// `code` is what that layer switches on to pick the gRPC status.

export type StoreErrorCode =
  | 'compacted'
  | 'future-revision'
  | 'lease-not-found'
  | 'lease-exists'
  | 'key-not-found'
  | 'duplicate-key'
  | 'too-many-ops'
  | 'invalid-argument'
  | 'invalid-command'
  | 'invalid-snapshot'
  | 'closed'
  | 'failed';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** For 'compacted': the store's compact revision. */
    readonly compactRevision?: number,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export const MSG_COMPACTED = 'mvcc: required revision has been compacted';
export const MSG_FUTURE_REV = 'mvcc: required revision is a future revision';

export const errors = {
  compacted: (compactRevision: number) =>
    new StoreError('compacted', MSG_COMPACTED, compactRevision),
  futureRevision: () => new StoreError('future-revision', MSG_FUTURE_REV),
  leaseNotFound: () => new StoreError('lease-not-found', 'etcdserver: requested lease not found'),
  leaseExists: () => new StoreError('lease-exists', 'etcdserver: lease already exists'),
  keyNotFound: () => new StoreError('key-not-found', 'etcdserver: key not found'),
  duplicateKey: () =>
    new StoreError('duplicate-key', 'etcdserver: duplicate key given in txn request'),
  tooManyOps: () =>
    new StoreError('too-many-ops', 'etcdserver: too many operations in txn request'),
  invalid: (message: string) => new StoreError('invalid-argument', `etcdserver: ${message}`),
  invalidCommand: (message: string) =>
    new StoreError('invalid-command', `store: invalid command: ${message}`),
  invalidSnapshot: (message: string) =>
    new StoreError('invalid-snapshot', `store: invalid snapshot: ${message}`),
  closed: () => new StoreError('closed', 'store: closed'),
  failed: (cause: unknown) =>
    new StoreError(
      'failed',
      `store: a write to disk failed, reopen the store: ${cause instanceof Error ? cause.message : String(cause)}`,
    ),
};
