// A small HPACK encoder for tests (RFC 7541): every representation a peer may choose (indexed,
// literal with incremental indexing, without indexing, never indexed; a name by index or
// literal; strings plain or Huffman-coded; table size updates), with its own dynamic table kept
// by the same rules as the decoder's, so what it writes can be decoded back.
import { STATIC_TABLE_SIZE, fieldSize, staticEntry } from '../src/grpc/hpack-decoder';
import { huffmanCodes } from '../src/grpc/hpack-huffman';

export type Representation = 'indexed' | 'incremental' | 'without' | 'never';

export interface FieldChoice {
  representation: Representation;
  /** Refer to the name by index when a table has it. */
  nameByIndex: boolean;
  huffmanName: boolean;
  huffmanValue: boolean;
}

const CODES = huffmanCodes();

/** The Huffman code of `bytes`, padded with the most significant bits of EOS (all ones). */
export function huffmanEncode(bytes: Uint8Array): Buffer {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    const { code, bits: n } = CODES[byte];
    for (let i = n - 1; i >= 0; i--) {
      acc = (acc << 1) | (Math.floor(code / 2 ** i) & 1);
      if (++bits === 8) {
        out.push(acc);
        acc = 0;
        bits = 0;
      }
    }
  }
  if (bits > 0) out.push(((acc << (8 - bits)) | ((1 << (8 - bits)) - 1)) & 0xff);
  return Buffer.from(out);
}

/** An integer with an N-bit prefix; `first` holds the bits above the prefix. */
export function encodeInteger(value: number, prefixBits: number, first = 0): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([first | value]);
  const out = [first | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

export function encodeString(text: string, huffman: boolean): Buffer {
  const raw = Buffer.from(text, 'latin1');
  const bytes = huffman ? huffmanEncode(raw) : raw;
  return Buffer.concat([encodeInteger(bytes.length, 7, huffman ? 0x80 : 0), bytes]);
}

export class TestHpackEncoder {
  /** Newest first, as HPACK indexes it. */
  private dynamic: Array<[string, string]> = [];
  private bytes = 0;
  private max = 4096;

  /** A dynamic table size update (valid only at the start of a block). */
  sizeUpdate(size: number): Buffer {
    this.max = size;
    this.evict(0);
    return encodeInteger(size, 5, 0x20);
  }

  field(name: string, value: string, choice: FieldChoice): Buffer {
    if (choice.representation === 'indexed') {
      const index = this.find(name, value);
      if (index !== undefined) return encodeInteger(index, 7, 0x80);
      return this.field(name, value, { ...choice, representation: 'incremental' });
    }
    const [prefixBits, first] =
      choice.representation === 'incremental'
        ? [6, 0x40]
        : choice.representation === 'never'
          ? [4, 0x10]
          : [4, 0x00];
    const nameIndex = choice.nameByIndex ? this.findName(name) : undefined;
    const out = Buffer.concat([
      nameIndex !== undefined
        ? encodeInteger(nameIndex, prefixBits, first)
        : Buffer.concat([Buffer.from([first]), encodeString(name, choice.huffmanName)]),
      encodeString(value, choice.huffmanValue),
    ]);
    if (choice.representation === 'incremental') this.insert(name, value);
    return out;
  }

  private find(name: string, value: string): number | undefined {
    for (let i = 1; i <= STATIC_TABLE_SIZE; i++) {
      const [n, v] = staticEntry(i)!;
      if (n === name && v === value) return i;
    }
    const at = this.dynamic.findIndex(([n, v]) => n === name && v === value);
    return at < 0 ? undefined : STATIC_TABLE_SIZE + 1 + at;
  }

  private findName(name: string): number | undefined {
    for (let i = 1; i <= STATIC_TABLE_SIZE; i++) if (staticEntry(i)![0] === name) return i;
    const at = this.dynamic.findIndex(([n]) => n === name);
    return at < 0 ? undefined : STATIC_TABLE_SIZE + 1 + at;
  }

  private insert(name: string, value: string): void {
    const size = fieldSize(name, value);
    if (size > this.max) {
      this.dynamic = [];
      this.bytes = 0;
      return;
    }
    this.evict(size);
    this.dynamic.unshift([name, value]);
    this.bytes += size;
  }

  private evict(room: number): void {
    while (this.bytes + room > this.max && this.dynamic.length > 0) {
      const [n, v] = this.dynamic.pop()!;
      this.bytes -= fieldSize(n, v);
    }
  }
}
