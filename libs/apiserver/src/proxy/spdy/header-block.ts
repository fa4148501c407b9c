// SPDY/3 header blocks: the name/value list (32-bit counts and lengths, lowercase names, several
// values of one name joined by NUL) and its compression. Each direction of a session is ONE zlib
// stream against the SPDY/3 dictionary, flushed (Z_SYNC_FLUSH) after every block, so a block can
// only be read by the context that read all the blocks before it. pako gives these contexts
// synchronously (Node's zlib keeps a persistent context only behind an asynchronous stream).
import { Deflate, Inflate, Z_SYNC_FLUSH } from 'pako';
import { SPDY3_HEADER_DICTIONARY } from './dictionary';
import { SpdyProtocolError } from './frames';

/** Header names are lowercase on the wire; several values of one name are NUL-separated. */
export type SpdyHeaders = Record<string, string>;

/** Past this a header block is refused: no Kubernetes stream sends more than a few hundred bytes. */
export const MAX_HEADER_BLOCK_BYTES = 256 * 1024;
const MAX_COMPRESSED_BLOCK_BYTES = 64 * 1024;

export function serializeHeaders(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(value, 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function parseHeaders(block: Buffer): SpdyHeaders {
  let at = 0;
  const read = (n: number) => {
    if (at + n > block.length) throw new SpdyProtocolError('header block cut short');
    const out = block.subarray(at, at + n);
    at += n;
    return out;
  };
  const count = read(4).readUInt32BE(0);
  const headers: SpdyHeaders = {};
  for (let i = 0; i < count; i++) {
    const name = read(read(4).readUInt32BE(0)).toString('utf8').toLowerCase();
    const value = read(read(4).readUInt32BE(0)).toString('utf8');
    if (name === '') throw new SpdyProtocolError('empty header name');
    if (name in headers) throw new SpdyProtocolError(`header ${name} sent twice`);
    headers[name] = value;
  }
  if (at !== block.length) throw new SpdyProtocolError('bytes after the header block');
  return headers;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** This side's outgoing header compression context. */
export class HeaderCompressor {
  private readonly deflate = new Deflate({ level: 9, dictionary: SPDY3_HEADER_DICTIONARY });
  private out: Uint8Array[] = [];

  constructor() {
    this.deflate.onData = (chunk) => this.out.push(chunk);
  }

  compress(headers: SpdyHeaders): Buffer {
    this.out = [];
    if (!this.deflate.push(serializeHeaders(headers), Z_SYNC_FLUSH)) {
      throw new SpdyProtocolError(`header compression failed: ${this.deflate.msg}`);
    }
    return Buffer.concat(this.out);
  }
}

/** The peer's header compression context, as seen from here. */
export class HeaderDecompressor {
  private readonly inflate = new Inflate({ dictionary: SPDY3_HEADER_DICTIONARY });
  private out: Uint8Array[] = [];
  private size = 0;

  constructor() {
    this.inflate.onData = (chunk) => {
      this.size += chunk.length;
      if (this.size <= MAX_HEADER_BLOCK_BYTES) this.out.push(chunk);
    };
  }

  decompress(compressed: Buffer): SpdyHeaders {
    this.out = [];
    this.size = 0;
    if (compressed.length === 0) throw new SpdyProtocolError('empty compressed header block');
    // Bounded before inflating, so a small bomb cannot cost much CPU either.
    if (compressed.length > MAX_COMPRESSED_BLOCK_BYTES) {
      throw new SpdyProtocolError(
        `compressed header block larger than ${MAX_COMPRESSED_BLOCK_BYTES} bytes`,
      );
    }
    this.inflate.push(compressed, Z_SYNC_FLUSH);
    if (this.inflate.err) {
      throw new SpdyProtocolError(`header block does not inflate: ${this.inflate.msg}`);
    }
    if (this.size > MAX_HEADER_BLOCK_BYTES) {
      throw new SpdyProtocolError(`header block larger than ${MAX_HEADER_BLOCK_BYTES} bytes`);
    }
    return parseHeaders(Buffer.concat(this.out));
  }
}
