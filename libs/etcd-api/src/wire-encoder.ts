// Hand-written protobuf encoding of the hottest responses (ranges, puts, watch events), field
// numbers from etcd's rpc.proto and kv.proto. The generic encoder works from decimal strings for
// 64-bit integers; this one writes varints from numbers directly, and encodes a watch event once
// however many watchers receive it. Zero values are left out, as proto3 does.
import type { KeyValue, WatchEvent } from '@flotilla/store';
import { MESSAGE_PREFIX_BYTES, writeMessagePrefix } from './grpc/message-prefix';
import type { HeaderFor } from './wire-convert';
import type { WireHeader } from './wire-types';

/** A response already in wire form; the service definitions pass its bytes through. */
export class EncodedMessage {
  constructor(readonly bytes: Buffer) {}
}

const enum WireType {
  Varint = 0,
  Len = 2,
}

/**
 * A response encoded only when the transport takes it, straight after the gRPC message prefix
 * into the buffer that goes out: a 100-key range answer of 200 KiB is written once, not encoded
 * and then copied into a frame (copies and external buffers that brought V8's GCs sooner).
 */
export class EncodeOnSend {
  constructor(
    /** An upper bound of the encoded size. */
    readonly maxBytes: number,
    private readonly writeTo: (w: ProtoWriter) => void,
  ) {}

  /**
   * The bytes after a gRPC message prefix (flag 0, big-endian length), in a buffer of their
   * own: for a transport that frames the message itself, this is the only copy it needs.
   */
  encodeFramed(take?: (bytes: number) => Buffer): Buffer {
    const bytes = MESSAGE_PREFIX_BYTES + this.maxBytes;
    const w = new ProtoWriter(bytes, take?.(bytes), MESSAGE_PREFIX_BYTES);
    this.writeTo(w);
    const out = w.finish();
    writeMessagePrefix(out, 0, out.length - MESSAGE_PREFIX_BYTES);
    return out;
  }

  /** The bytes in a buffer of their own. */
  toBuffer(): Buffer {
    const w = new ProtoWriter(this.maxBytes);
    this.writeTo(w);
    return w.finish();
  }
}

/** A growable buffer with protobuf's primitive writers. */
export class ProtoWriter {
  private buf: Buffer;
  private at = 0;

  /**
   * Writes into `into` when given (until it is full), else into a buffer of `capacity`; the
   * first `offset` bytes are left for the caller.
   */
  constructor(capacity = 256, into?: Buffer, offset = 0) {
    this.buf = into ?? Buffer.allocUnsafe(capacity);
    this.at = offset;
  }

  private reserve(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  /** An unsigned varint of a non-negative safe integer. */
  private varint(n: number): void {
    this.reserve(10);
    while (n >= 0x80) {
      this.buf[this.at++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.at++] = n;
  }

  private bigVarint(n: bigint): void {
    this.reserve(10);
    let v = BigInt.asUintN(64, n);
    while (v >= 0x80n) {
      this.buf[this.at++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.at++] = Number(v);
  }

  private tag(field: number, type: WireType): void {
    this.varint(field * 8 + type);
  }

  /** An int64/uint64 field; negative numbers take ten bytes (two's complement), as protobuf says. */
  int64(field: number, n: number | string): void {
    if (typeof n === 'string') {
      if (n === '0' || n === '') return;
      this.tag(field, WireType.Varint);
      this.bigVarint(BigInt(n));
      return;
    }
    if (n === 0) return;
    this.tag(field, WireType.Varint);
    if (n > 0 && Number.isSafeInteger(n)) this.varint(n);
    else this.bigVarint(BigInt(Math.trunc(n)));
  }

  bool(field: number, v: boolean | undefined): void {
    if (!v) return;
    this.tag(field, WireType.Varint);
    this.varint(1);
  }

  bytes(field: number, b: Uint8Array | undefined): void {
    if (b === undefined || b.length === 0) return;
    this.tag(field, WireType.Len);
    this.varint(b.length);
    this.reserve(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  /** A length-delimited field whose body is already encoded (an empty body is still written). */
  message(field: number, body: Uint8Array): void {
    this.tag(field, WireType.Len);
    this.varint(body.length);
    this.reserve(body.length);
    this.buf.set(body, this.at);
    this.at += body.length;
  }

  /** Starts a length-delimited field whose body the caller writes next (`length` bytes). */
  begin(field: number, length: number): void {
    this.tag(field, WireType.Len);
    this.varint(length);
    this.reserve(length);
  }

  /** What was written (a writer is used once; the buffer is its own unless it was given one). */
  finish(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** Bytes an int64 field takes (0 when left out); the same rules as ProtoWriter.int64. */
function int64FieldSize(field: number, n: number): number {
  if (n === 0) return 0;
  return varintSize(field * 8) + (n > 0 && Number.isSafeInteger(n) ? varintSize(n) : 10);
}

function bytesFieldSize(field: number, b: Uint8Array): number {
  return b.length === 0 ? 0 : varintSize(field * 8) + varintSize(b.length) + b.length;
}

function keyValueSize(kv: KeyValue): number {
  return (
    bytesFieldSize(1, kv.key) +
    int64FieldSize(2, kv.createRevision) +
    int64FieldSize(3, kv.modRevision) +
    int64FieldSize(4, kv.version) +
    bytesFieldSize(5, kv.value) +
    int64FieldSize(6, kv.lease)
  );
}

/** A KeyValue as a length-delimited field, written straight into `w` (no intermediate copy). */
function writeKeyValue(w: ProtoWriter, field: number, kv: KeyValue): void {
  w.begin(field, keyValueSize(kv));
  writeKeyValueFields(w, kv);
}

export function encodeHeader(h: WireHeader): Buffer {
  const w = new ProtoWriter(48);
  w.int64(1, h.cluster_id);
  w.int64(2, h.member_id);
  w.int64(3, h.revision);
  w.int64(4, h.raft_term);
  return w.finish();
}

/**
 * Encoded headers for watch responses: every watcher notified of one revision gets the same
 * header, so the last one is kept and made again only when the revision or term moves.
 */
export function encodedHeaderSource(header: HeaderFor): (revision: number) => Buffer {
  let last: { h: WireHeader; bytes: Buffer } | undefined;
  return (revision) => {
    const h = header(revision);
    if (
      last === undefined ||
      last.h.revision !== h.revision ||
      last.h.raft_term !== h.raft_term ||
      last.h.member_id !== h.member_id ||
      last.h.cluster_id !== h.cluster_id
    ) {
      last = { h, bytes: encodeHeader(h) };
    }
    return last.bytes;
  };
}

function writeKeyValueFields(w: ProtoWriter, kv: KeyValue): void {
  w.bytes(1, kv.key);
  w.int64(2, kv.createRevision);
  w.int64(3, kv.modRevision);
  w.int64(4, kv.version);
  w.bytes(5, kv.value);
  w.int64(6, kv.lease);
}

/** RangeResponse {header=1, kvs=2, more=3, count=4}. */
export function encodeRangeResponse(
  header: WireHeader,
  kvs: readonly KeyValue[],
  more: boolean,
  count: number,
): EncodeOnSend {
  const head = encodeHeader(header);
  let size = head.length + 32;
  for (const kv of kvs) size += kv.key.length + kv.value.length + 64;
  return new EncodeOnSend(size, (w) => {
    w.message(1, head);
    for (const kv of kvs) writeKeyValue(w, 2, kv);
    w.bool(3, more);
    w.int64(4, count);
  });
}

/** PutResponse {header=1, prev_kv=2}. */
export function encodePutResponse(
  header: WireHeader,
  prevKv: KeyValue | undefined,
): EncodedMessage {
  const w = new ProtoWriter(prevKv === undefined ? 64 : 128 + prevKv.value.length);
  w.message(1, encodeHeader(header));
  if (prevKv !== undefined) writeKeyValue(w, 2, prevKv);
  return new EncodedMessage(w.finish());
}

/** Each event's bytes, made once and shared by every watcher that receives the same event. */
const encodedEvents = new WeakMap<WatchEvent, Buffer>();

/** Event {type=1, kv=2, prev_kv=3}. */
export function encodeEvent(e: WatchEvent): Buffer {
  let bytes = encodedEvents.get(e);
  if (bytes === undefined) {
    const w = new ProtoWriter(e.kv.key.length + e.kv.value.length + 64);
    w.int64(1, e.type);
    writeKeyValue(w, 2, e.kv);
    if (e.prevKv !== undefined) writeKeyValue(w, 3, e.prevKv);
    bytes = w.finish();
    encodedEvents.set(e, bytes);
  }
  return bytes;
}

/** WatchResponse {header=1, watch_id=2, events=11} for a response that carries events. */
export function encodeWatchEvents(
  header: Buffer,
  watchId: number,
  events: readonly WatchEvent[],
): EncodedMessage {
  const parts = events.map(encodeEvent);
  let size = header.length + 24;
  for (const p of parts) size += p.length + 6;
  const w = new ProtoWriter(size);
  w.message(1, header);
  w.int64(2, watchId);
  for (const p of parts) w.message(11, p);
  return new EncodedMessage(w.finish());
}
