// One record of the write-ahead log: [body length u32][segment u32][CRC-32 u32][body], the CRC
// over the segment number and the body. A record is what one Ready made durable: the hard state
// (when it changed) and the entries appended from `firstIndex` on, which replace any entries
// from that index. Segment files are preallocated with zeros or recycled from deleted segments,
// so the written part ends at a zero length or at a record of another segment number (left from
// the file's earlier life); a record cut short by a crash, or damaged, fails its checksum.
import { crc32 } from 'node:zlib';
import { Packr } from 'msgpackr';
import { Entry, HardState } from '@flotilla/raft';

// Decoded entries get their own bytes: they outlive the segment buffer they were read from.
const packr = new Packr({ useRecords: false, copyBuffers: true });

export const RECORD_HEADER_BYTES = 12;

export interface WalRecord {
  hardState: HardState | undefined;
  /** Index of entries[0]; entries at or above it that were written before are replaced. */
  firstIndex: number;
  entries: Entry[];
}

type Body = [
  hardState: HardState | null,
  firstIndex: number,
  entries: [term: number, conf: 0 | 1, data: Uint8Array][],
];

function checksum(segment: number, body: Buffer): number {
  const seg = Buffer.allocUnsafe(4);
  seg.writeUInt32LE(segment, 0);
  return crc32(body, crc32(seg));
}

export function encodeRecord(record: WalRecord, segment: number): Buffer {
  const body: Body = [
    record.hardState ?? null,
    record.firstIndex,
    record.entries.map((e) => [e.term, e.type === 'conf' ? 1 : 0, e.data]),
  ];
  const bytes = packr.pack(body);
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + bytes.length);
  out.writeUInt32LE(bytes.length, 0);
  out.writeUInt32LE(segment, 4);
  out.writeUInt32LE(checksum(segment, bytes), 8);
  bytes.copy(out, RECORD_HEADER_BYTES);
  return out;
}

export type ReadResult =
  | { kind: 'record'; record: WalRecord; next: number }
  /** Zeros, a record of another segment (an earlier life of a recycled file), or the end of the file. */
  | { kind: 'end' }
  /** A record that is cut short or fails its checksum: a torn write or damage. */
  | { kind: 'bad'; reason: string };

export function readRecord(buf: Buffer, at: number, segment: number): ReadResult {
  // Too little room left for a header: whatever is there was never a whole record.
  if (at + RECORD_HEADER_BYTES > buf.length) return { kind: 'end' };
  const length = buf.readUInt32LE(at);
  if (length === 0 || buf.readUInt32LE(at + 4) !== segment) return { kind: 'end' };
  const crc = buf.readUInt32LE(at + 8);
  const start = at + RECORD_HEADER_BYTES;
  if (start + length > buf.length) {
    return { kind: 'bad', reason: 'record length past the end of the segment' };
  }
  const bytes = buf.subarray(start, start + length);
  if (checksum(segment, bytes) !== crc) return { kind: 'bad', reason: 'record checksum mismatch' };
  let body: Body;
  try {
    body = packr.unpack(bytes) as Body;
  } catch {
    return { kind: 'bad', reason: 'record body does not decode' };
  }
  if (!Array.isArray(body) || !Array.isArray(body[2]) || typeof body[1] !== 'number') {
    return { kind: 'bad', reason: 'record body has the wrong shape' };
  }
  const [hardState, firstIndex, raw] = body;
  const entries = raw.map(([term, conf, data], i): Entry => ({
    index: firstIndex + i,
    term,
    type: conf === 1 ? 'conf' : 'normal',
    data,
  }));
  return {
    kind: 'record',
    record: { hardState: hardState ?? undefined, firstIndex, entries },
    next: start + length,
  };
}
