// The slice of the etcd v3 wire protocol the benchmark speaks, written for this harness from the
// documented etcdserverpb / mvccpb field numbers. Message names are local (only the service paths
// and field numbers reach the wire), so this client shares no code with Flotilla's server.
import { Root, Type, parse } from 'protobufjs';

const BENCH_PROTO = `
syntax = "proto3";
package etcdserverpb;

message ResponseHeader { uint64 cluster_id = 1; uint64 member_id = 2; int64 revision = 3; uint64 raft_term = 4; }
message KeyValue { bytes key = 1; int64 create_revision = 2; int64 mod_revision = 3; int64 version = 4; bytes value = 5; int64 lease = 6; }
message Event { int32 type = 1; KeyValue kv = 2; KeyValue prev_kv = 3; }

message RangeRequest { bytes key = 1; bytes range_end = 2; int64 limit = 3; int64 revision = 4; bool serializable = 7; bool keys_only = 8; bool count_only = 9; }
message RangeResponse { ResponseHeader header = 1; repeated KeyValue kvs = 2; bool more = 3; int64 count = 4; }
message PutRequest { bytes key = 1; bytes value = 2; int64 lease = 3; bool prev_kv = 4; }
message PutResponse { ResponseHeader header = 1; KeyValue prev_kv = 2; }

message Compare { int32 result = 1; int32 target = 2; bytes key = 3; oneof target_union { int64 version = 4; int64 create_revision = 5; int64 mod_revision = 6; bytes value = 7; } }
message RequestOp { oneof request { RangeRequest request_range = 1; PutRequest request_put = 2; } }
message ResponseOp { oneof response { RangeResponse response_range = 1; PutResponse response_put = 2; } }
message TxnRequest { repeated Compare compare = 1; repeated RequestOp success = 2; repeated RequestOp failure = 3; }
message TxnResponse { ResponseHeader header = 1; bool succeeded = 2; repeated ResponseOp responses = 3; }

message WatchCreateRequest { bytes key = 1; bytes range_end = 2; int64 start_revision = 3; bool prev_kv = 6; }
message WatchRequest { oneof request_union { WatchCreateRequest create_request = 1; } }
message WatchResponse { ResponseHeader header = 1; int64 watch_id = 2; bool created = 3; bool canceled = 4; int64 compact_revision = 5; string cancel_reason = 6; repeated Event events = 11; }

message StatusRequest {}
message StatusResponse { ResponseHeader header = 1; string version = 2; int64 dbSize = 3; uint64 leader = 4; uint64 raftIndex = 5; uint64 raftTerm = 6; }
`;

/** etcd's Compare.CompareResult.EQUAL and the Compare.CompareTarget values used here. */
export const COMPARE_EQUAL = 0;
export const COMPARE_TARGET_VERSION = 0;
export const COMPARE_TARGET_MOD = 2;
export const COMPARE_TARGET_VALUE = 3;

export const METHOD = {
  range: '/etcdserverpb.KV/Range',
  put: '/etcdserverpb.KV/Put',
  txn: '/etcdserverpb.KV/Txn',
  watch: '/etcdserverpb.Watch/Watch',
  status: '/etcdserverpb.Maintenance/Status',
} as const;

export interface WireCodec<T> {
  encode(value: T): Buffer;
  decode(bytes: Buffer): T;
}

/** Long (from protobufjs) or number, as int64 fields decode. */
export type Int64 = number | { toNumber(): number; toString(): string };

export function int64ToNumber(value: Int64 | undefined | null): number {
  if (value === undefined || value === null) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

/** Exact decimal text, for uint64 member IDs above 2^53. */
export function int64ToString(value: Int64 | undefined | null): string {
  if (value === undefined || value === null) return '0';
  return value.toString();
}

let root: Root | undefined;
const codecs = new Map<string, WireCodec<unknown>>();

function codec<T>(name: string): WireCodec<T> {
  const cached = codecs.get(name);
  if (cached !== undefined) return cached as WireCodec<T>;
  root ??= parse(BENCH_PROTO, new Root(), { keepCase: true }).root;
  const type: Type = root.lookupType(`etcdserverpb.${name}`);
  // Plain objects with Buffers and numbers encode directly; fromObject would only add a copy.
  const made: WireCodec<T> = {
    encode: (value) => {
      const bytes = type.encode(value as object).finish();
      return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
    },
    decode: (bytes) => type.decode(bytes) as unknown as T,
  };
  codecs.set(name, made as WireCodec<unknown>);
  return made;
}

export interface ResponseHeader {
  member_id?: Int64;
  revision?: Int64;
}
export interface KeyValue {
  key: Uint8Array;
  mod_revision?: Int64;
  value?: Uint8Array;
}
export interface RangeRequest {
  key: Buffer;
  range_end?: Buffer;
  serializable?: boolean;
  limit?: number;
}
export interface RangeResponse {
  header?: ResponseHeader;
  kvs: KeyValue[];
  count?: Int64;
}
export interface PutRequest {
  key: Buffer;
  value: Buffer;
}
export interface PutResponse {
  header?: ResponseHeader;
}
export interface TxnRequest {
  compare: {
    result: number;
    target: number;
    key: Buffer;
    /** One of these, as `target` says (a oneof on the wire). */
    mod_revision?: number;
    version?: number;
    value?: Buffer;
  }[];
  success: { request_put?: PutRequest; request_range?: RangeRequest }[];
  failure: { request_put?: PutRequest; request_range?: RangeRequest }[];
}
export interface TxnResponse {
  header?: ResponseHeader;
  succeeded?: boolean;
  responses: { response_range?: RangeResponse }[];
}
export interface WatchRequest {
  create_request: { key: Buffer; range_end?: Buffer; start_revision?: number };
}
export interface WatchResponse {
  header?: ResponseHeader;
  watch_id?: Int64;
  created?: boolean;
  canceled?: boolean;
  cancel_reason?: string;
  events: { type?: number; kv?: KeyValue }[];
}
export type StatusRequest = Record<string, never>;
export interface StatusResponse {
  header?: ResponseHeader;
  version?: string;
  leader?: Int64;
  raftIndex?: Int64;
  raftTerm?: Int64;
}

export const wire = {
  rangeRequest: () => codec<RangeRequest>('RangeRequest'),
  rangeResponse: () => codec<RangeResponse>('RangeResponse'),
  putRequest: () => codec<PutRequest>('PutRequest'),
  putResponse: () => codec<PutResponse>('PutResponse'),
  txnRequest: () => codec<TxnRequest>('TxnRequest'),
  txnResponse: () => codec<TxnResponse>('TxnResponse'),
  watchRequest: () => codec<WatchRequest>('WatchRequest'),
  watchResponse: () => codec<WatchResponse>('WatchResponse'),
  statusRequest: () => codec<StatusRequest>('StatusRequest'),
  statusResponse: () => codec<StatusResponse>('StatusResponse'),
};
