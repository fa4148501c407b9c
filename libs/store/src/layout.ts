// On-disk layout in one LevelDB keyspace (keys sort bytewise):
//   'r' + main(8 bytes BE) + sub(4 bytes BE) -> one key version (or tombstone) written at that
//        revision. Revision order on disk makes watch catch-up and compaction sequential scans.
//   'l' + id(8 bytes BE)                     -> a lease: [ttl, remainingTtl?]
//   'm' + name                               -> store metadata (applied index, revisions)
// The latest version of each key is found through the in-memory index, never by scanning.
import { pack, unpack } from 'msgpackr';
import { KeyValue } from './types';

const REV_PREFIX = 0x72;
const LEASE_PREFIX = 0x6c;
const TWO_32 = 0x1_0000_0000;

export interface Revision {
  main: number;
  sub: number;
}

export function compareRevision(a: Revision, b: Revision): number {
  return a.main !== b.main ? a.main - b.main : a.sub - b.sub;
}

export function revisionKey(main: number, sub: number): Buffer {
  const buf = Buffer.allocUnsafe(13);
  buf[0] = REV_PREFIX;
  buf.writeUInt32BE(Math.floor(main / TWO_32), 1);
  buf.writeUInt32BE(main % TWO_32, 5);
  buf.writeUInt32BE(sub, 9);
  return buf;
}

export function parseRevisionKey(key: Buffer): Revision {
  return {
    main: key.readUInt32BE(1) * TWO_32 + key.readUInt32BE(5),
    sub: key.readUInt32BE(9),
  };
}

/** Bounds of the revision keyspace, for iterators: [revisionKey(from), revisionKey(to)). */
export const REV_SPACE_START = Buffer.from([REV_PREFIX]);
export const REV_SPACE_END = Buffer.from([REV_PREFIX + 1]);

export function leaseKey(id: number): Buffer {
  const buf = Buffer.allocUnsafe(9);
  buf[0] = LEASE_PREFIX;
  buf.writeUInt32BE(Math.floor(id / TWO_32), 1);
  buf.writeUInt32BE(id % TWO_32, 5);
  return buf;
}

export function parseLeaseKey(key: Buffer): number {
  return key.readUInt32BE(1) * TWO_32 + key.readUInt32BE(5);
}

export const LEASE_SPACE_START = Buffer.from([LEASE_PREFIX]);
export const LEASE_SPACE_END = Buffer.from([LEASE_PREFIX + 1]);

/** Written with every applied batch: what a restart resumes from. */
export const META_STATE = Buffer.from('mstate');
/** Highest compact revision whose superseded versions are physically gone from disk. */
export const META_PHYSICAL_COMPACT = Buffer.from('mphysical');

export interface StoreMeta {
  appliedIndex: number;
  revision: number;
  compactRevision: number;
}

export function encodeMeta(meta: StoreMeta): Buffer {
  return pack([meta.appliedIndex, meta.revision, meta.compactRevision]);
}

export function decodeMeta(bytes: Buffer): StoreMeta {
  const [appliedIndex, revision, compactRevision] = unpack(bytes) as number[];
  return { appliedIndex, revision, compactRevision };
}

/** A key version as stored: the revision (mod_revision) lives in the LevelDB key. */
export type StoredRecord =
  | {
      tombstone: false;
      key: Buffer;
      value: Buffer;
      createRevision: number;
      version: number;
      lease: number;
    }
  | { tombstone: true; key: Buffer };

export function encodeRecord(record: StoredRecord): Buffer {
  if (record.tombstone) return pack([record.key]);
  return pack([record.key, record.value, record.createRevision, record.version, record.lease]);
}

export function decodeRecord(bytes: Buffer): StoredRecord {
  const fields = unpack(bytes) as [Buffer, Buffer?, number?, number?, number?];
  if (fields.length === 1) return { tombstone: true, key: fields[0] };
  return {
    tombstone: false,
    key: fields[0],
    value: fields[1] as Buffer,
    createRevision: fields[2] as number,
    version: fields[3] as number,
    lease: fields[4] as number,
  };
}

export function recordToKeyValue(record: StoredRecord, modRevision: number): KeyValue {
  if (record.tombstone) {
    return { key: record.key, createRevision: 0, modRevision, version: 0, value: EMPTY, lease: 0 };
  }
  return {
    key: record.key,
    createRevision: record.createRevision,
    modRevision,
    version: record.version,
    value: record.value,
    lease: record.lease,
  };
}

export const EMPTY = Buffer.alloc(0);

/** A view of any Uint8Array as a Buffer, without copying. */
export function asBuffer(bytes: Uint8Array | undefined): Buffer {
  if (bytes === undefined) return EMPTY;
  if (Buffer.isBuffer(bytes)) return bytes;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Index keys are latin1 strings: one char per byte, so JS string order is bytewise order. */
export function indexKey(bytes: Uint8Array): string {
  return asBuffer(bytes).toString('latin1');
}
