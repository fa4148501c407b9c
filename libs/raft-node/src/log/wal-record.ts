// One record of the write-ahead log: [body length u32][CRC-32 of body u32][body]. A record is
// what one Ready made durable: the hard state (when it changed) and the entries appended from
// `firstIndex` on, which replace any entries from that index. A segment is preallocated with
// zeros, so a zero length marks where the written part ends; a record cut short by a crash, or
// damaged, fails its length or checksum.
import { crc32 } from 'node:zlib';
import { Packr } from 'msgpackr';
import { Entry, HardState } from '@flotilla/raft';

// Decoded entries get their own bytes: they outlive the segment buffer they were read from.
const packr = new Packr({ useRecords: false, copyBuffers: true });

export const RECORD_HEADER_BYTES = 8;

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

export function encodeRecord(record: WalRecord): Buffer {
  const body: Body = [
    record.hardState ?? null,
    record.firstIndex,
    record.entries.map((e) => [e.term, e.type === 'conf' ? 1 : 0, e.data]),
  ];
  const bytes = packr.pack(body);
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + bytes.length);
  out.writeUInt32LE(bytes.length, 0);
  out.writeUInt32LE(crc32(bytes), 4);
  bytes.copy(out, RECORD_HEADER_BYTES);
  return out;
}

export type ReadResult =
  | { kind: 'record'; record: WalRecord; next: number }
  /** Zeros from here on (or the end of the file): nothing more was written. */
  | { kind: 'end' }
  /** A record that is cut short or fails its checksum: a torn write or damage. */
  | { kind: 'bad'; reason: string };

export function readRecord(buf: Buffer, at: number): ReadResult {
  if (at + RECORD_HEADER_BYTES > buf.length) {
    return buf.subarray(at).every((b) => b === 0)
      ? { kind: 'end' }
      : { kind: 'bad', reason: 'truncated record header' };
  }
  const length = buf.readUInt32LE(at);
  const crc = buf.readUInt32LE(at + 4);
  if (length === 0 && crc === 0) return { kind: 'end' };
  const start = at + RECORD_HEADER_BYTES;
  if (length === 0 || start + length > buf.length) {
    return { kind: 'bad', reason: 'record length past the end of the segment' };
  }
  const bytes = buf.subarray(start, start + length);
  if (crc32(bytes) !== crc) return { kind: 'bad', reason: 'record checksum mismatch' };
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
