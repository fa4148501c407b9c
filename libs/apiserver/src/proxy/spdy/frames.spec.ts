import { constants, deflateSync, inflateSync } from 'node:zlib';
import { SPDY3_HEADER_DICTIONARY } from './dictionary';
import { decodeFrame, encodeFrame, FrameReader, SpdyProtocolError, type SpdyFrame } from './frames';
import {
  HeaderCompressor,
  HeaderDecompressor,
  parseHeaders,
  serializeHeaders,
} from './header-block';

const block = Buffer.from([1, 2, 3, 4, 5]);
const samples: SpdyFrame[] = [
  { type: 'data', streamId: 7, fin: false, data: Buffer.from('hello') },
  { type: 'data', streamId: 0x7fffffff, fin: true, data: Buffer.alloc(0) },
  {
    type: 'syn_stream',
    streamId: 3,
    associatedTo: 0,
    priority: 5,
    fin: false,
    unidirectional: true,
    headerBlock: block,
  },
  { type: 'syn_reply', streamId: 3, fin: true, headerBlock: block },
  { type: 'headers', streamId: 9, fin: false, headerBlock: block },
  { type: 'rst_stream', streamId: 5, status: 5 },
  { type: 'settings', entries: [{ flags: 1, id: 7, value: 65536 }] },
  { type: 'ping', id: 0xfffffffe },
  { type: 'goaway', lastGoodStreamId: 11, status: 1 },
  { type: 'window_update', streamId: 1, delta: 1024 },
];

describe('SPDY/3.1 frames', () => {
  it.each(samples.map((f) => [f.type, f] as const))('%s round-trips', (_type, frame) => {
    expect(decodeFrame(encodeFrame(frame))).toEqual(frame);
  });

  it('lays out a control frame and a data frame as the spec says', () => {
    expect(encodeFrame({ type: 'ping', id: 1 }).toString('hex')).toBe(
      '8003000600000004' + '00000001',
    );
    expect(
      encodeFrame({ type: 'data', streamId: 1, fin: true, data: Buffer.from('a') }).toString('hex'),
    ).toBe('00000001' + '01000001' + '61');
    expect(encodeFrame({ type: 'rst_stream', streamId: 3, status: 5 }).toString('hex')).toBe(
      '8003000300000008' + '00000003' + '00000005',
    );
  });

  it('cuts a byte stream into frames wherever the chunks break', () => {
    const bytes = Buffer.concat(samples.map(encodeFrame));
    for (const step of [1, 3, 8, 13, bytes.length]) {
      const reader = new FrameReader();
      const out: SpdyFrame[] = [];
      for (let at = 0; at < bytes.length; at += step) {
        out.push(...reader.push(bytes.subarray(at, at + step)));
      }
      expect(out).toEqual(samples);
      expect(reader.pending).toBe(0);
    }
  });

  it('skips control types it does not know and refuses other versions and stream 0', () => {
    const unknown = Buffer.from('800300ff00000002abcd', 'hex');
    expect(decodeFrame(unknown)).toEqual({ type: 'unknown', controlType: 0xff });
    expect(() => decodeFrame(Buffer.from('8002000600000004' + '00000001', 'hex'))).toThrow(
      SpdyProtocolError,
    );
    expect(() => decodeFrame(Buffer.from('0000000000000000', 'hex'))).toThrow(/stream 0/);
    expect(() => decodeFrame(Buffer.from('8003000300000004' + '00000003', 'hex'))).toThrow(
      /too short/,
    );
  });
});

describe('SPDY/3 header blocks', () => {
  const dictionary = Buffer.from(SPDY3_HEADER_DICTIONARY);

  it('has the 1423-byte dictionary of the spec, length-prefixed words first', () => {
    expect(SPDY3_HEADER_DICTIONARY.length).toBe(1423);
    expect(dictionary.subarray(0, 11).toString('latin1')).toBe('\0\0\0\x07options');
    expect(dictionary.subarray(-9).toString('latin1')).toBe(',*,enq=0.');
  });

  it('serializes names lowercase with 32-bit lengths', () => {
    const raw = serializeHeaders({ streamType: 'error' });
    expect(raw.toString('hex')).toBe(
      '00000001' +
        '0000000a' +
        Buffer.from('streamtype').toString('hex') +
        '00000005' +
        Buffer.from('error').toString('hex'),
    );
    expect(parseHeaders(raw)).toEqual({ streamtype: 'error' });
    expect(() => parseHeaders(raw.subarray(0, raw.length - 1))).toThrow(/cut short/);
  });

  it('compresses block after block in one context that zlib with the dictionary reads', () => {
    const compressor = new HeaderCompressor();
    const first = compressor.compress({ streamtype: 'stdout', port: '80' });
    const second = compressor.compress({ streamtype: 'stderr' });
    // Node's own zlib, given the dictionary, reads the whole session's output.
    const both = inflateSync(Buffer.concat([first, second]), {
      dictionary,
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    expect(both).toEqual(
      Buffer.concat([
        serializeHeaders({ streamtype: 'stdout', port: '80' }),
        serializeHeaders({ streamtype: 'stderr' }),
      ]),
    );
    // The second block alone means nothing: it refers to the first one's window.
    const decompressor = new HeaderDecompressor();
    expect(decompressor.decompress(first)).toEqual({ streamtype: 'stdout', port: '80' });
    expect(decompressor.decompress(second)).toEqual({ streamtype: 'stderr' });
  });

  it('reads a block another zlib compressed with the dictionary, and refuses garbage', () => {
    const other = deflateSync(
      serializeHeaders({ 'x-stream-protocol-version': 'v4.channel.k8s.io' }),
      {
        dictionary,
        finishFlush: constants.Z_SYNC_FLUSH,
      },
    );
    expect(new HeaderDecompressor().decompress(other)).toEqual({
      'x-stream-protocol-version': 'v4.channel.k8s.io',
    });
    const otherDictionary = deflateSync(serializeHeaders({ a: 'b' }), {
      dictionary: Buffer.from('another dictionary'),
    });
    expect(() => new HeaderDecompressor().decompress(otherDictionary)).toThrow(SpdyProtocolError);
    expect(() => new HeaderDecompressor().decompress(Buffer.from('not zlib'))).toThrow(
      SpdyProtocolError,
    );
  });
});
