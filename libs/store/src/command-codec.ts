// Compact binary form of store commands for Raft entries: msgpackr arrays with a numeric tag
// first and positional fields, defaults as 0 / empty bytes. Decoding validates every field, so a
// corrupt or foreign entry becomes a clear 'invalid-command' error instead of a bad apply.
import { pack, unpack } from 'msgpackr';
import { errors } from './errors';
import { EMPTY, asBuffer } from './layout';
import {
  Command,
  Compare,
  CompareResult,
  CompareTarget,
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  SortOrder,
  SortTarget,
  TxnRequest,
} from './types';

const enum Tag {
  Range = 0,
  Put = 1,
  DeleteRange = 2,
  Txn = 3,
  Compact = 4,
  LeaseGrant = 5,
  LeaseRevoke = 6,
  LeaseCheckpoint = 7,
}

type Packed = unknown[];

export function encodeCommand(cmd: Command): Uint8Array {
  return pack(packCommand(cmd));
}

export function decodeCommand(bytes: Uint8Array): Command {
  let raw: unknown;
  try {
    raw = unpack(asBuffer(bytes));
  } catch (err) {
    throw errors.invalidCommand(`not msgpack (${(err as Error).message})`);
  }
  return unpackCommand(arr(raw, 'command'));
}

function packCommand(cmd: Command): Packed {
  switch (cmd.type) {
    case 'put':
      return packPut(cmd.request);
    case 'deleteRange':
      return packDelete(cmd.request);
    case 'txn':
      return packTxn(cmd.request);
    case 'compact':
      return [Tag.Compact, cmd.request.revision, cmd.request.physical ? 1 : 0];
    case 'leaseGrant':
      return [Tag.LeaseGrant, cmd.request.id, cmd.request.ttl];
    case 'leaseRevoke':
      return [Tag.LeaseRevoke, cmd.request.id];
    case 'leaseCheckpoint':
      return [Tag.LeaseCheckpoint, cmd.request.checkpoints.map((c) => [c.id, c.remainingTtl])];
  }
}

function unpackCommand(a: unknown[]): Command {
  switch (a[0]) {
    case Tag.Put:
      return { type: 'put', request: unpackPut(a) };
    case Tag.DeleteRange:
      return { type: 'deleteRange', request: unpackDelete(a) };
    case Tag.Txn:
      return { type: 'txn', request: unpackTxn(a) };
    case Tag.Compact:
      return { type: 'compact', request: { revision: num(a[1]), physical: a[2] === 1 } };
    case Tag.LeaseGrant:
      return { type: 'leaseGrant', request: { id: num(a[1]), ttl: num(a[2]) } };
    case Tag.LeaseRevoke:
      return { type: 'leaseRevoke', request: { id: num(a[1]) } };
    case Tag.LeaseCheckpoint:
      return {
        type: 'leaseCheckpoint',
        request: {
          checkpoints: arr(a[1], 'checkpoints').map((c) => {
            const pair = arr(c, 'checkpoint');
            return { id: num(pair[0]), remainingTtl: num(pair[1]) };
          }),
        },
      };
    default:
      throw errors.invalidCommand(`unknown tag ${String(a[0])}`);
  }
}

const PUT_PREV_KV = 1;
const PUT_IGNORE_VALUE = 2;
const PUT_IGNORE_LEASE = 4;

function packPut(r: PutRequest): Packed {
  const flags =
    (r.prevKv ? PUT_PREV_KV : 0) |
    (r.ignoreValue ? PUT_IGNORE_VALUE : 0) |
    (r.ignoreLease ? PUT_IGNORE_LEASE : 0);
  return [Tag.Put, asBuffer(r.key), asBuffer(r.value), r.lease ?? 0, flags];
}

function unpackPut(a: unknown[]): PutRequest {
  const flags = num(a[4]);
  return {
    key: bytes(a[1]),
    value: bytes(a[2]),
    lease: num(a[3]),
    prevKv: (flags & PUT_PREV_KV) !== 0,
    ignoreValue: (flags & PUT_IGNORE_VALUE) !== 0,
    ignoreLease: (flags & PUT_IGNORE_LEASE) !== 0,
  };
}

function packDelete(r: DeleteRangeRequest): Packed {
  return [Tag.DeleteRange, asBuffer(r.key), asBuffer(r.rangeEnd), r.prevKv ? 1 : 0];
}

function unpackDelete(a: unknown[]): DeleteRangeRequest {
  return { key: bytes(a[1]), rangeEnd: bytes(a[2]), prevKv: a[3] === 1 };
}

const RANGE_SERIALIZABLE = 1;
const RANGE_KEYS_ONLY = 2;
const RANGE_COUNT_ONLY = 4;

function packRange(r: RangeRequest): Packed {
  const flags =
    (r.serializable ? RANGE_SERIALIZABLE : 0) |
    (r.keysOnly ? RANGE_KEYS_ONLY : 0) |
    (r.countOnly ? RANGE_COUNT_ONLY : 0);
  return [
    Tag.Range,
    asBuffer(r.key),
    asBuffer(r.rangeEnd),
    r.limit ?? 0,
    r.revision ?? 0,
    r.sortOrder ?? SortOrder.NONE,
    r.sortTarget ?? SortTarget.KEY,
    flags,
    r.minModRevision ?? 0,
    r.maxModRevision ?? 0,
    r.minCreateRevision ?? 0,
    r.maxCreateRevision ?? 0,
  ];
}

function unpackRange(a: unknown[]): RangeRequest {
  const flags = num(a[7]);
  return {
    key: bytes(a[1]),
    rangeEnd: bytes(a[2]),
    limit: num(a[3]),
    revision: num(a[4]),
    sortOrder: enumOf(a[5], 2) as SortOrder,
    sortTarget: enumOf(a[6], 4) as SortTarget,
    serializable: (flags & RANGE_SERIALIZABLE) !== 0,
    keysOnly: (flags & RANGE_KEYS_ONLY) !== 0,
    countOnly: (flags & RANGE_COUNT_ONLY) !== 0,
    minModRevision: num(a[8]),
    maxModRevision: num(a[9]),
    minCreateRevision: num(a[10]),
    maxCreateRevision: num(a[11]),
  };
}

function packCompare(c: Compare): Packed {
  let operand: unknown;
  switch (c.target) {
    case CompareTarget.VERSION:
      operand = c.version ?? 0;
      break;
    case CompareTarget.CREATE:
      operand = c.createRevision ?? 0;
      break;
    case CompareTarget.MOD:
      operand = c.modRevision ?? 0;
      break;
    case CompareTarget.VALUE:
      operand = asBuffer(c.value);
      break;
    case CompareTarget.LEASE:
      operand = c.lease ?? 0;
      break;
  }
  return [c.result, c.target, asBuffer(c.key), asBuffer(c.rangeEnd), operand];
}

function unpackCompare(raw: unknown): Compare {
  const a = arr(raw, 'compare');
  const result = enumOf(a[0], 3) as CompareResult;
  const target = enumOf(a[1], 4) as CompareTarget;
  const c: Compare = { result, target, key: bytes(a[2]), rangeEnd: bytes(a[3]) };
  switch (target) {
    case CompareTarget.VERSION:
      c.version = num(a[4]);
      break;
    case CompareTarget.CREATE:
      c.createRevision = num(a[4]);
      break;
    case CompareTarget.MOD:
      c.modRevision = num(a[4]);
      break;
    case CompareTarget.VALUE:
      c.value = bytes(a[4]);
      break;
    case CompareTarget.LEASE:
      c.lease = num(a[4]);
      break;
  }
  return c;
}

function packOp(op: RequestOp): Packed {
  if ('requestRange' in op) return packRange(op.requestRange);
  if ('requestPut' in op) return packPut(op.requestPut);
  if ('requestDeleteRange' in op) return packDelete(op.requestDeleteRange);
  return packTxn(op.requestTxn);
}

function unpackOp(raw: unknown): RequestOp {
  const a = arr(raw, 'request op');
  switch (a[0]) {
    case Tag.Range:
      return { requestRange: unpackRange(a) };
    case Tag.Put:
      return { requestPut: unpackPut(a) };
    case Tag.DeleteRange:
      return { requestDeleteRange: unpackDelete(a) };
    case Tag.Txn:
      return { requestTxn: unpackTxn(a) };
    default:
      throw errors.invalidCommand(`unknown request op tag ${String(a[0])}`);
  }
}

function packTxn(r: TxnRequest): Packed {
  return [
    Tag.Txn,
    (r.compare ?? []).map(packCompare),
    (r.success ?? []).map(packOp),
    (r.failure ?? []).map(packOp),
  ];
}

function unpackTxn(a: unknown[]): TxnRequest {
  return {
    compare: arr(a[1], 'compare list').map(unpackCompare),
    success: arr(a[2], 'success list').map(unpackOp),
    failure: arr(a[3], 'failure list').map(unpackOp),
  };
}

function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw errors.invalidCommand(`${what} is not an array`);
  return v;
}

function num(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw errors.invalidCommand(`expected a non-negative integer, got ${String(v)}`);
  }
  return v;
}

function enumOf(v: unknown, max: number): number {
  const n = num(v);
  if (n > max) throw errors.invalidCommand(`enum value ${n} out of range`);
  return n;
}

function bytes(v: unknown): Buffer {
  if (v instanceof Uint8Array) return asBuffer(v);
  if (v === undefined || v === null) return EMPTY;
  throw errors.invalidCommand('expected bytes');
}
