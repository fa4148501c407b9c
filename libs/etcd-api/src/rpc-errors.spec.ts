import { status } from '@grpc/grpc-js';
import { StoreError } from '@flotilla/store';
import { BackendError } from './backend';
import { toRpcError } from './rpc-errors';

describe('toRpcError', () => {
  it.each([
    [
      new StoreError('compacted', 'mvcc: required revision has been compacted', 5),
      status.OUT_OF_RANGE,
      'etcdserver: mvcc: required revision has been compacted',
    ],
    [
      new StoreError('future-revision', 'mvcc: required revision is a future revision'),
      status.OUT_OF_RANGE,
      'etcdserver: mvcc: required revision is a future revision',
    ],
    [
      new StoreError('lease-not-found', 'etcdserver: requested lease not found'),
      status.NOT_FOUND,
      'etcdserver: requested lease not found',
    ],
    [
      new StoreError('lease-exists', 'etcdserver: lease already exists'),
      status.FAILED_PRECONDITION,
      'etcdserver: lease already exists',
    ],
    [
      new StoreError('too-many-ops', 'etcdserver: too many operations in txn request'),
      status.INVALID_ARGUMENT,
      'etcdserver: too many operations in txn request',
    ],
    [new StoreError('closed', 'store: closed'), status.UNAVAILABLE, 'etcdserver: server stopped'],
    [new BackendError('no-leader', 'x'), status.UNAVAILABLE, 'etcdserver: no leader'],
    [new BackendError('timeout', 'x'), status.UNAVAILABLE, 'etcdserver: request timed out'],
    [
      new BackendError('too-many-requests', 'x'),
      status.RESOURCE_EXHAUSTED,
      'etcdserver: too many requests',
    ],
    [
      new BackendError('request-too-large', 'x'),
      status.INVALID_ARGUMENT,
      'etcdserver: request is too large',
    ],
    [
      new BackendError('member-exists', 'etcdserver: Peer URLs already exists'),
      status.FAILED_PRECONDITION,
      'etcdserver: Peer URLs already exists',
    ],
    [
      new BackendError('invalid-argument', 'bad ttl'),
      status.INVALID_ARGUMENT,
      'etcdserver: bad ttl',
    ],
    [new Error('boom'), status.UNKNOWN, 'boom'],
  ])('maps %p', (err, code, message) => {
    const e = toRpcError(err);
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
  });
});
