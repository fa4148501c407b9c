// Converts between the protobuf shapes (wire-types.ts) and the store's request/response types.
import type {
  Compare,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
  WatchEvent,
} from '@flotilla/store';
import { rpcErrors } from './rpc-errors';
import type {
  Int64,
  WireCompare,
  WireDeleteRangeRequest,
  WireEvent,
  WireHeader,
  WireKeyValue,
  WirePutRequest,
  WireRangeRequest,
  WireRequestOp,
  WireTxnRequest,
} from './wire-types';

/** A header for a response produced at `revision` (the store's revision when omitted). */
export type HeaderFor = (revision?: number) => WireHeader;

/** An int64 as a JS number; absent or unparsable is 0. Precision above 2^53 is not needed here. */
export function int(value: Int64 | number | undefined): number {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** Revisions, limits and bounds: etcd treats anything <= 0 as "unset". */
export function nonNegative(value: Int64 | number | undefined): number {
  return Math.max(0, int(value));
}

/** A lease ID the store can hold; an ID it could never have granted cannot be found. */
export function leaseId(value: Int64 | undefined): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n)) throw rpcErrors.leaseNotFound();
  return n;
}

const bytes = (b: Buffer | undefined): Buffer => b ?? Buffer.alloc(0);

export function toRangeRequest(w: WireRangeRequest): RangeRequest {
  return {
    key: bytes(w.key),
    rangeEnd: bytes(w.range_end),
    limit: nonNegative(w.limit),
    revision: nonNegative(w.revision),
    sortOrder: w.sort_order,
    sortTarget: w.sort_target,
    serializable: w.serializable === true,
    keysOnly: w.keys_only === true,
    countOnly: w.count_only === true,
    minModRevision: nonNegative(w.min_mod_revision),
    maxModRevision: nonNegative(w.max_mod_revision),
    minCreateRevision: nonNegative(w.min_create_revision),
    maxCreateRevision: nonNegative(w.max_create_revision),
  };
}

export function toPutRequest(w: WirePutRequest): PutRequest {
  return {
    key: bytes(w.key),
    value: bytes(w.value),
    lease: leaseId(w.lease),
    prevKv: w.prev_kv === true,
    ignoreValue: w.ignore_value === true,
    ignoreLease: w.ignore_lease === true,
  };
}

export function toDeleteRangeRequest(w: WireDeleteRangeRequest): DeleteRangeRequest {
  return { key: bytes(w.key), rangeEnd: bytes(w.range_end), prevKv: w.prev_kv === true };
}

export function toCompare(w: WireCompare): Compare {
  const c: Compare = {
    result: w.result,
    target: w.target,
    key: bytes(w.key),
    rangeEnd: bytes(w.range_end),
  };
  switch (w.target_union) {
    case 'version':
      c.version = int(w.version);
      break;
    case 'create_revision':
      c.createRevision = int(w.create_revision);
      break;
    case 'mod_revision':
      c.modRevision = int(w.mod_revision);
      break;
    case 'value':
      c.value = bytes(w.value);
      break;
    case 'lease':
      c.lease = int(w.lease);
      break;
  }
  return c;
}

export function toRequestOp(w: WireRequestOp): RequestOp {
  if (w.request_range !== undefined) return { requestRange: toRangeRequest(w.request_range) };
  if (w.request_put !== undefined) return { requestPut: toPutRequest(w.request_put) };
  if (w.request_delete_range !== undefined) {
    return { requestDeleteRange: toDeleteRangeRequest(w.request_delete_range) };
  }
  if (w.request_txn !== undefined) return { requestTxn: toTxnRequest(w.request_txn) };
  // An op that carries no request names no key.
  throw rpcErrors.emptyKey();
}

export function toTxnRequest(w: WireTxnRequest): TxnRequest {
  return {
    compare: (w.compare ?? []).map(toCompare),
    success: (w.success ?? []).map(toRequestOp),
    failure: (w.failure ?? []).map(toRequestOp),
  };
}

export function fromKeyValue(kv: KeyValue): WireKeyValue {
  return {
    key: kv.key,
    create_revision: kv.createRevision,
    mod_revision: kv.modRevision,
    version: kv.version,
    value: kv.value,
    lease: kv.lease,
  };
}

export function fromRangeResponse(r: RangeResponse, header: HeaderFor) {
  return {
    header: header(r.header.revision),
    kvs: r.kvs.map(fromKeyValue),
    more: r.more,
    count: r.count,
  };
}

export function fromPutResponse(r: PutResponse, header: HeaderFor) {
  return {
    header: header(r.header.revision),
    prev_kv: r.prevKv === undefined ? undefined : fromKeyValue(r.prevKv),
  };
}

export function fromDeleteRangeResponse(r: DeleteRangeResponse, header: HeaderFor) {
  return {
    header: header(r.header.revision),
    deleted: r.deleted,
    prev_kvs: r.prevKvs.map(fromKeyValue),
  };
}

export function fromResponseOp(op: ResponseOp, header: HeaderFor): object {
  if ('responseRange' in op) return { response_range: fromRangeResponse(op.responseRange, header) };
  if ('responsePut' in op) return { response_put: fromPutResponse(op.responsePut, header) };
  if ('responseDeleteRange' in op) {
    return { response_delete_range: fromDeleteRangeResponse(op.responseDeleteRange, header) };
  }
  return { response_txn: fromTxnResponse(op.responseTxn, header) };
}

export function fromTxnResponse(r: TxnResponse, header: HeaderFor): object {
  return {
    header: header(r.header.revision),
    succeeded: r.succeeded,
    responses: r.responses.map((op) => fromResponseOp(op, header)),
  };
}

export function fromEvent(e: WatchEvent): WireEvent {
  const out: WireEvent = { type: e.type, kv: fromKeyValue(e.kv) };
  if (e.prevKv !== undefined) out.prev_kv = fromKeyValue(e.prevKv);
  return out;
}
