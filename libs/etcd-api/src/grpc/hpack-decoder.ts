// HPACK header block decoding (RFC 7541): the static table, a dynamic table bounded in bytes,
// integers with a prefix and string literals plain or Huffman-coded. One decoder per
// connection: the dynamic table is state the peer's encoder shares with it.
import { HuffmanError, huffmanDecode } from './hpack-huffman';

/** RFC 7541 Appendix A; index 1 is the first entry. */
const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];

export const STATIC_TABLE_SIZE = STATIC_TABLE.length;

export function staticEntry(index: number): readonly [string, string] | undefined {
  return STATIC_TABLE[index - 1];
}

/** Each dynamic entry costs its name and value lengths plus 32 (RFC 7541 4.1). */
const ENTRY_OVERHEAD = 32;

export class HpackError extends Error {}

export type HeaderList = Array<[string, string]>;

export interface DecodedBlock {
  headers: HeaderList;
  /**
   * The header list grew past the limit: `headers` holds only the fields that fit. The whole
   * block was still decoded, so the dynamic table stays in step with the peer's encoder.
   */
  oversize: boolean;
}

/** Each header field costs its name and value lengths plus 32 (RFC 9113 6.5.2, RFC 7541 4.1). */
export function fieldSize(name: string, value: string): number {
  return name.length + value.length + ENTRY_OVERHEAD;
}

export class HpackDecoder {
  /** Newest first, as HPACK indexes it. */
  private dynamic: Array<[string, string]> = [];
  private dynamicBytes = 0;
  private maxBytes: number;

  /**
   * @param maxTableBytes the SETTINGS_HEADER_TABLE_SIZE we advertise (4096 by default).
   * @param maxListBytes the SETTINGS_MAX_HEADER_LIST_SIZE we advertise: fields past it are
   *   decoded (the table must stay in sync) but not kept.
   */
  constructor(
    private readonly maxTableBytes = 4096,
    private readonly maxListBytes = Number.MAX_SAFE_INTEGER,
  ) {
    this.maxBytes = maxTableBytes;
  }

  /** The bytes the dynamic table holds (RFC 7541 4.1), at most the size last set. */
  get tableBytes(): number {
    return this.dynamicBytes;
  }

  /** Decodes one complete header block. Any error leaves the connection unusable (the caller
   * must end it): the shared table may then differ from the peer's. */
  decode(block: Buffer): HeaderList {
    return this.decodeBlock(block).headers;
  }

  /** As decode(), and says whether the header list went past the limit. */
  decodeBlock(block: Buffer): DecodedBlock {
    const out: HeaderList = [];
    // The list's size so far; past the limit, fields are decoded and dropped.
    let listBytes = 0;
    const cursor = { at: 0 };
    // Table size updates are only allowed before the first field (RFC 7541 4.2).
    let fieldSeen = false;
    try {
      while (cursor.at < block.length) {
        const b = block[cursor.at];
        let field: [string, string];
        if (b & 0x80) {
          field = this.entry(readInteger(block, cursor, 7));
        } else if (b & 0x40) {
          field = this.literal(block, cursor, 6);
          this.insert(field);
        } else if (b & 0x20) {
          if (fieldSeen) throw new HpackError('hpack: table size update after a header field');
          const size = readInteger(block, cursor, 5);
          if (size > this.maxTableBytes) throw new HpackError('hpack: table size above the limit');
          this.maxBytes = size;
          this.evict(0);
          continue;
        } else {
          // Literal without indexing (0000) or never indexed (0001): same layout.
          field = this.literal(block, cursor, 4);
        }
        fieldSeen = true;
        if (listBytes <= this.maxListBytes) {
          listBytes += fieldSize(field[0], field[1]);
          if (listBytes <= this.maxListBytes) out.push(field);
        }
      }
    } catch (err) {
      if (err instanceof HuffmanError) throw new HpackError(err.message);
      throw err;
    }
    return { headers: out, oversize: listBytes > this.maxListBytes };
  }

  private literal(block: Buffer, cursor: { at: number }, prefixBits: number): [string, string] {
    const index = readInteger(block, cursor, prefixBits);
    const name = index === 0 ? readString(block, cursor) : this.entry(index)[0];
    return [name, readString(block, cursor)];
  }

  private entry(index: number): [string, string] {
    if (index === 0) throw new HpackError('hpack: index 0');
    if (index <= STATIC_TABLE_SIZE) {
      const [name, value] = STATIC_TABLE[index - 1];
      return [name, value];
    }
    const field = this.dynamic[index - STATIC_TABLE_SIZE - 1];
    if (field === undefined) throw new HpackError(`hpack: index ${index} beyond the table`);
    return field;
  }

  private insert(field: [string, string]): void {
    const size = fieldSize(field[0], field[1]);
    if (size > this.maxBytes) {
      // An entry larger than the table empties it and is not kept (RFC 7541 4.4).
      this.dynamic = [];
      this.dynamicBytes = 0;
      return;
    }
    this.evict(size);
    this.dynamic.unshift(field);
    this.dynamicBytes += size;
  }

  /** Drops the oldest entries until `room` more bytes fit. */
  private evict(room: number): void {
    while (this.dynamicBytes + room > this.maxBytes && this.dynamic.length > 0) {
      const [name, value] = this.dynamic.pop()!;
      this.dynamicBytes -= fieldSize(name, value);
    }
  }
}

/** An integer with an N-bit prefix (RFC 7541 5.1); values above 2^31 - 1 are refused. */
function readInteger(block: Buffer, cursor: { at: number }, prefixBits: number): number {
  if (cursor.at >= block.length) throw new HpackError('hpack: truncated integer');
  const max = (1 << prefixBits) - 1;
  let value = block[cursor.at++] & max;
  if (value < max) return value;
  // Five continuation bytes carry 35 bits, more than any value below 2^31 needs: a longer run
  // (zero bytes padding a small value included) is refused rather than read to its end.
  for (let shift = 0; shift <= 28; shift += 7) {
    if (cursor.at >= block.length) throw new HpackError('hpack: truncated integer');
    const b = block[cursor.at++];
    value += (b & 0x7f) * 2 ** shift;
    if (value > 0x7fffffff) throw new HpackError('hpack: integer too large');
    if ((b & 0x80) === 0) return value;
  }
  throw new HpackError('hpack: integer encoding too long');
}

function readString(block: Buffer, cursor: { at: number }): string {
  if (cursor.at >= block.length) throw new HpackError('hpack: truncated string');
  const huffman = (block[cursor.at] & 0x80) !== 0;
  const length = readInteger(block, cursor, 7);
  const end = cursor.at + length;
  if (end > block.length) throw new HpackError('hpack: truncated string');
  const bytes = block.subarray(cursor.at, end);
  cursor.at = end;
  return huffman ? huffmanDecode(bytes) : bytes.toString('latin1');
}
