// The checks etcd's gRPC layer makes before a request reaches consensus, with its messages.
// The store repeats the txn checks at apply time; doing them here spares a Raft round trip.
import type {
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from '@flotilla/store';
import { rpcErrors } from './rpc-errors';

export function checkRange(r: RangeRequest): void {
  if (r.key.length === 0) throw rpcErrors.emptyKey();
}

export function checkPut(r: PutRequest): void {
  if (r.key.length === 0) throw rpcErrors.emptyKey();
  if (r.ignoreValue && (r.value?.length ?? 0) !== 0) throw rpcErrors.valueProvided();
  if (r.ignoreLease && (r.lease ?? 0) !== 0) throw rpcErrors.leaseProvided();
}

export function checkDeleteRange(r: DeleteRangeRequest): void {
  if (r.key.length === 0) throw rpcErrors.emptyKey();
}

export function checkTxn(r: TxnRequest, maxTxnOps: number): void {
  const compare = r.compare ?? [];
  const success = r.success ?? [];
  const failure = r.failure ?? [];
  if (Math.max(compare.length, success.length, failure.length) > maxTxnOps) {
    throw rpcErrors.tooManyOps();
  }
  for (const c of compare) if (c.key.length === 0) throw rpcErrors.emptyKey();
  for (const op of [...success, ...failure]) checkOp(op, maxTxnOps);
}

function checkOp(op: RequestOp, maxTxnOps: number): void {
  if ('requestRange' in op) checkRange(op.requestRange);
  else if ('requestPut' in op) checkPut(op.requestPut);
  else if ('requestDeleteRange' in op) checkDeleteRange(op.requestDeleteRange);
  else checkTxn(op.requestTxn, maxTxnOps);
}

/** etcd refuses a request whose encoded size is above --max-request-bytes. */
export function checkSize(wireBytes: number, maxRequestBytes: number): void {
  if (wireBytes > maxRequestBytes) throw rpcErrors.requestTooLarge();
}
