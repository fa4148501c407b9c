import { Writer as PbjsWriter } from 'protobufjs';
import { ProtobufError } from './errors';
import { ProtoReader, ProtoWriter, WireType } from './wire';

const bytes = (...b: number[]) => Uint8Array.from(b);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function expectMalformed(fn: () => unknown, text: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtobufError);
    expect((err as ProtobufError).problem).toBe('malformed');
    expect((err as Error).message).toMatch(text);
    return;
  }
  throw new Error('expected a ProtobufError');
}

describe('protobuf wire format', () => {
  describe('varints', () => {
    it('writes the encodings the protobuf documentation gives', () => {
      expect(hex(new ProtoWriter().uvarint(1).finish())).toBe('01');
      expect(hex(new ProtoWriter().uvarint(150).finish())).toBe('9601');
      expect(hex(new ProtoWriter().uvarint(300).finish())).toBe('ac02');
      // Negative int32 and int64 are sign-extended to 64 bits: ten bytes.
      expect(hex(new ProtoWriter().int(-1).finish())).toBe('ffffffffffffffffff01');
      expect(hex(new ProtoWriter().int(-2).finish())).toBe('feffffffffffffffff01');
    });

    it.each([0, 1, 127, 128, 300, 2 ** 31 - 1, 2 ** 32, 2 ** 32 + 5, 2 ** 53 - 1])(
      'reads back %d as int64',
      (n) => {
        const r = new ProtoReader(new ProtoWriter().int(n).finish());
        expect(r.int64()).toBe(n);
        expect(r.done).toBe(true);
      },
    );

    it.each([-1, -2, -(2 ** 31), -(2 ** 32), -(2 ** 53 - 1)])('reads back %d as int64', (n) => {
      expect(new ProtoReader(new ProtoWriter().int(n).finish()).int64()).toBe(n);
    });

    it.each([0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 8080])('reads back %d as int32', (n) => {
      expect(new ProtoReader(new ProtoWriter().int(n).finish()).int32()).toBe(n);
    });

    it('agrees with protobufjs (an independent implementation) on int64 varints', () => {
      let x = 0x2545f491;
      const values = [0, -1, 2 ** 53 - 1, -(2 ** 53 - 1)];
      for (let i = 0; i < 200; i++) {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        values.push((x % 2 ? -1 : 1) * Math.floor((x / 2 ** 31) * 2 ** (i % 54)));
      }
      for (const n of values) {
        const mine = new ProtoWriter().int(n).finish();
        expect(hex(mine)).toBe(hex(PbjsWriter.create().int64(n).finish()));
        expect(new ProtoReader(mine).int64()).toBe(n);
      }
    });

    it('refuses an int64 past 2^53 rather than rounding it', () => {
      const w = new ProtoWriter().uvarint(2 ** 53 - 1).finish();
      // 2^63 - 1: nine bytes of 0xff then 0x7f.
      const big = bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f);
      expect(new ProtoReader(w).int64()).toBe(2 ** 53 - 1);
      expectMalformed(() => new ProtoReader(big).int64(), /out of the range/);
    });

    it('fails on a truncated or overlong varint', () => {
      expectMalformed(() => new ProtoReader(bytes(0x96)).int64(), /truncated varint/);
      expectMalformed(() => new ProtoReader(new Uint8Array(11).fill(0x80)).int64(), /longer/);
    });
  });

  describe('tags', () => {
    it('reads field number and wire type', () => {
      const w = new ProtoWriter()
        .tag(1, WireType.Bytes)
        .tag(17, WireType.Varint)
        .tag(2 ** 20, 5);
      const r = new ProtoReader(w.finish());
      expect(r.tag()).toEqual({ no: 1, wire: 2 });
      expect(r.tag()).toEqual({ no: 17, wire: 0 });
      expect(r.tag()).toEqual({ no: 2 ** 20, wire: 5 });
    });

    it('refuses field 0, groups and unknown wire types', () => {
      expectMalformed(() => new ProtoReader(bytes(0x02)).tag(), /field number 0/);
      expectMalformed(() => new ProtoReader(bytes(0x0b)).tag(), /group/);
      expectMalformed(() => new ProtoReader(bytes(0x0c)).tag(), /group/);
      expectMalformed(() => new ProtoReader(bytes(0x0e)).tag(), /invalid wire type 6/);
      expectMalformed(() => new ProtoReader(bytes(0x0f)).tag(), /invalid wire type 7/);
    });
  });

  describe('length-delimited and fixed-width values', () => {
    it('writes and reads strings, bytes, bools and doubles', () => {
      const w = new ProtoWriter()
        .tag(1, WireType.Bytes)
        .string('héllo')
        .tag(2, WireType.Bytes)
        .bytes(bytes(0, 255, 128))
        .tag(3, WireType.Varint)
        .bool(true)
        .tag(4, WireType.Fixed64)
        .double(-1.5);
      const r = new ProtoReader(w.finish());
      r.tag();
      expect(r.string()).toBe('héllo');
      r.tag();
      expect([...r.bytes()]).toEqual([0, 255, 128]);
      r.tag();
      expect(r.bool()).toBe(true);
      r.tag();
      expect(r.double()).toBe(-1.5);
      expect(r.done).toBe(true);
    });

    it('grows its buffer for large values', () => {
      const big = 'x'.repeat(100_000);
      const r = new ProtoReader(new ProtoWriter().string(big).finish());
      expect(r.string()).toBe(big);
    });

    it('fails when a length or a fixed-width value runs past the end', () => {
      expectMalformed(() => new ProtoReader(bytes(0x05, 0x61, 0x62)).bytes(), /past the end/);
      expectMalformed(() => new ProtoReader(bytes(1, 2, 3)).double(), /truncated field/);
      // A length within a sub-range may not reach past that range's end.
      expectMalformed(() => new ProtoReader(bytes(0x02, 0x61, 0x62), 0, 2).bytes(), /past the end/);
    });

    it('skips any field and says whether it held a value', () => {
      const w = new ProtoWriter()
        .tag(1, WireType.Varint)
        .uvarint(0)
        .tag(2, WireType.Varint)
        .uvarint(7)
        .tag(3, WireType.Bytes)
        .bytes(new Uint8Array(0))
        .tag(4, WireType.Bytes)
        .string('a')
        .tag(5, WireType.Fixed64)
        .double(0)
        .tag(6, WireType.Fixed32);
      const buf = new Uint8Array([...w.finish(), 0, 0, 0x80, 0x3f]);
      const r = new ProtoReader(buf);
      const seen: boolean[] = [];
      while (!r.done) seen.push(r.skip(r.tag().wire).nonZero);
      expect(seen).toEqual([false, true, false, true, false, true]);
    });
  });
});
