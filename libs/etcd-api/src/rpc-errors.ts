// etcd's gRPC status codes and messages, so etcdctl and other etcd clients print and classify
// our errors exactly as they do etcd's. Store and backend errors are mapped here, in one place.
import { status } from '@grpc/grpc-js';
import { StoreError } from '@flotilla/store';
import { BackendError, BackendErrorCode } from './backend';

/** An error with the gRPC status it is sent as; `message` is the status details. */
export class RpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

const rpc = (code: status, message: string) => () => new RpcError(code, message);

export const rpcErrors = {
  emptyKey: rpc(status.INVALID_ARGUMENT, 'etcdserver: key is not provided'),
  valueProvided: rpc(status.INVALID_ARGUMENT, 'etcdserver: value is provided'),
  leaseProvided: rpc(status.INVALID_ARGUMENT, 'etcdserver: lease is provided'),
  tooManyOps: rpc(status.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request'),
  requestTooLarge: rpc(status.INVALID_ARGUMENT, 'etcdserver: request is too large'),
  compacted: rpc(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'),
  futureRev: rpc(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'),
  leaseNotFound: rpc(status.NOT_FOUND, 'etcdserver: requested lease not found'),
  leaseTtlTooLarge: rpc(status.OUT_OF_RANGE, 'etcdserver: too large lease TTL'),
  memberNotFound: rpc(status.NOT_FOUND, 'etcdserver: member not found'),
  stopped: rpc(status.UNAVAILABLE, 'etcdserver: server stopped'),
  unimplemented: (what: string) =>
    new RpcError(status.UNIMPLEMENTED, `etcdserver: ${what} is not implemented by flotilla`),
};

const BACKEND: Record<BackendErrorCode, [status, string | undefined]> = {
  'no-leader': [status.UNAVAILABLE, 'etcdserver: no leader'],
  timeout: [status.UNAVAILABLE, 'etcdserver: request timed out'],
  'leader-changed': [status.UNAVAILABLE, 'etcdserver: leader changed'],
  'too-many-requests': [status.RESOURCE_EXHAUSTED, 'etcdserver: too many requests'],
  'request-too-large': [status.INVALID_ARGUMENT, 'etcdserver: request is too large'],
  stopping: [status.UNAVAILABLE, 'etcdserver: server stopped'],
  'member-not-found': [status.NOT_FOUND, 'etcdserver: member not found'],
  // etcd has two messages here (ID taken, peer URLs taken): the backend's says which.
  'member-exists': [status.FAILED_PRECONDITION, undefined],
  'learner-not-ready': [
    status.FAILED_PRECONDITION,
    'etcdserver: can only promote a learner member which is in sync with leader',
  ],
  'member-not-learner': [
    status.FAILED_PRECONDITION,
    'etcdserver: can only promote a learner member',
  ],
  'unhealthy-cluster': [status.UNAVAILABLE, 'etcdserver: unhealthy cluster'],
  'invalid-argument': [status.INVALID_ARGUMENT, undefined],
};

/** The status a failure is sent as. Unknown failures become UNKNOWN with their message, as in etcd. */
export function toRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  if (err instanceof BackendError) {
    const [code, message] = BACKEND[err.code] ?? [status.UNKNOWN, undefined];
    return new RpcError(code, message ?? withPrefix(err.message));
  }
  if (err instanceof StoreError) return fromStoreError(err);
  return new RpcError(status.UNKNOWN, err instanceof Error ? err.message : String(err));
}

function fromStoreError(err: StoreError): RpcError {
  switch (err.code) {
    case 'compacted':
      return rpcErrors.compacted();
    case 'future-revision':
      return rpcErrors.futureRev();
    case 'lease-not-found':
      return rpcErrors.leaseNotFound();
    case 'lease-exists':
      return new RpcError(status.FAILED_PRECONDITION, 'etcdserver: lease already exists');
    case 'key-not-found':
    case 'duplicate-key':
    case 'too-many-ops':
    case 'invalid-argument':
      return new RpcError(status.INVALID_ARGUMENT, withPrefix(err.message));
    case 'closed':
      return rpcErrors.stopped();
    default:
      return new RpcError(status.INTERNAL, err.message);
  }
}

function withPrefix(message: string): string {
  return message.startsWith('etcdserver: ') ? message : `etcdserver: ${message}`;
}
