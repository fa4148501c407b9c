// The protobuf wire format: varints, fixed-width numbers and length-delimited fields (groups are refused).
import { malformed } from './errors';

export const WireType = {
  Varint: 0,
  Fixed64: 1,
  Bytes: 2,
  StartGroup: 3,
  EndGroup: 4,
  Fixed32: 5,
} as const;

const TWO_32 = 2 ** 32;
const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** Reads one message's fields from `buf[start, end)`. Every read checks the bounds. */
export class ProtoReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The next field's number and wire type. */
  tag(): { no: number; wire: number } {
    const [lo, hi] = this.varintParts();
    if (hi !== 0) throw malformed(`field tag ${hi * TWO_32 + lo} is out of range`);
    const no = lo >>> 3;
    const wire = lo & 7;
    if (no === 0) throw malformed('field number 0 is not allowed');
    if (wire === WireType.StartGroup || wire === WireType.EndGroup)
      throw malformed(`field ${no} uses a group (wire type ${wire}), which is not supported`);
    if (wire > WireType.Fixed32) throw malformed(`field ${no} has an invalid wire type ${wire}`);
    return { no, wire };
  }

  /** The low and high 32 bits of a varint of at most 10 bytes. */
  varintParts(): [number, number] {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw malformed('truncated varint');
      const b = this.buf[this.pos++];
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
    }
    throw malformed('varint longer than 10 bytes');
  }

  /** int32 as Go writes it: negative values are sign-extended to ten bytes; the low 32 bits count. */
  int32(): number {
    return this.varintParts()[0] | 0;
  }

  /** int64 as a JSON number: refused past 2^53, where a JavaScript number would round. */
  int64(): number {
    const [lo, hi] = this.varintParts();
    let value: number;
    if (hi & 0x80000000) {
      const nlo = (~lo + 1) >>> 0;
      const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
      value = -(nhi * TWO_32 + nlo);
    } else value = hi * TWO_32 + lo;
    if (!Number.isSafeInteger(value))
      throw malformed(`int64 value out of the range JSON numbers hold exactly`);
    return value;
  }

  uint64(): number {
    const [lo, hi] = this.varintParts();
    const value = hi * TWO_32 + lo;
    if (!Number.isSafeInteger(value))
      throw malformed(`uint64 value out of the range JSON numbers hold exactly`);
    return value;
  }

  bool(): boolean {
    const [lo, hi] = this.varintParts();
    return lo !== 0 || hi !== 0;
  }

  double(): number {
    this.need(8);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  float(): number {
    this.need(4);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  /** A length-delimited field's bytes (a view, not a copy). */
  bytes(): Uint8Array {
    const [len, hi] = this.varintParts();
    if (hi !== 0 || len > this.end - this.pos)
      throw malformed(`length ${hi * TWO_32 + len} runs past the end of the data`);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  /** Reads past a field of the given wire type; returns whether its value was non-zero/non-empty. */
  skip(wire: number): { nonZero: boolean; bytes?: Uint8Array } {
    switch (wire) {
      case WireType.Varint: {
        const [lo, hi] = this.varintParts();
        return { nonZero: lo !== 0 || hi !== 0 };
      }
      case WireType.Fixed64:
        return { nonZero: this.fixed(8) };
      case WireType.Fixed32:
        return { nonZero: this.fixed(4) };
      case WireType.Bytes: {
        const bytes = this.bytes();
        return { nonZero: bytes.length > 0, bytes };
      }
      default:
        throw malformed(`invalid wire type ${wire}`);
    }
  }

  private fixed(n: number): boolean {
    this.need(n);
    let nonZero = false;
    for (let i = 0; i < n; i++) if (this.buf[this.pos + i] !== 0) nonZero = true;
    this.pos += n;
    return nonZero;
  }

  private need(n: number): void {
    if (this.end - this.pos < n) throw malformed(`truncated field: ${n} bytes expected`);
  }
}

/** Appends fields to a growing buffer; nested messages are written to their own writer first. */
export class ProtoWriter {
  private buf = new Uint8Array(128);
  private len = 0;

  get length(): number {
    return this.len;
  }

  tag(no: number, wire: number): this {
    return this.uvarint(no * 8 + wire);
  }

  /** A non-negative integer up to 2^53. */
  uvarint(n: number): this {
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
    return this;
  }

  /** int32 and int64 alike: negative values take ten bytes (64-bit two's complement). */
  int(n: number): this {
    if (n >= 0) return this.uvarint(n);
    let v = BigInt.asUintN(64, BigInt(n));
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
    return this;
  }

  bool(b: boolean): this {
    return this.uvarint(b ? 1 : 0);
  }

  double(n: number): this {
    this.ensure(8);
    new DataView(this.buf.buffer, this.len, 8).setFloat64(0, n, true);
    this.len += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.uvarint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  string(s: string): this {
    return this.bytes(utf8Encoder.encode(s));
  }

  /** Raw bytes with no length prefix. */
  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}
