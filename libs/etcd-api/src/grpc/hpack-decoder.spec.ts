// HPACK decoding against the examples of RFC 7541 Appendix C (the bytes are the RFC's) and
// the bad blocks a peer could send.
import { HpackDecoder, HpackError } from './hpack-decoder';
import { huffmanCodes, huffmanDecode } from './hpack-huffman';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('huffmanDecode', () => {
  it('decodes the RFC 7541 C.4 strings', () => {
    expect(huffmanDecode(hex('f1e3 c2e5 f23a 6ba0 ab90 f4ff'))).toBe('www.example.com');
    expect(huffmanDecode(hex('a8eb 1064 9cbf'))).toBe('no-cache');
    expect(huffmanDecode(hex('25a8 49e9 5ba9 7d7f'))).toBe('custom-key');
    expect(huffmanDecode(hex('25a8 49e9 5bb8 e8b4 bf'))).toBe('custom-value');
  });

  it('round-trips every byte value through codes built from the lengths', () => {
    const codes = huffmanCodes();
    const text = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    let bits = '';
    for (const byte of text) bits += codes[byte].code.toString(2).padStart(codes[byte].bits, '0');
    bits += '1'.repeat((8 - (bits.length % 8)) % 8);
    const bytes = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
    expect(Buffer.from(huffmanDecode(bytes), 'latin1')).toEqual(text);
  });

  it('refuses padding that is not a prefix of EOS, or longer than 7 bits', () => {
    // 'a' is 00011 (5 bits): padded with zeros instead of ones.
    expect(() => huffmanDecode(Buffer.from([0b00011000]))).toThrow(/padding/);
    // 'a' followed by a whole byte of ones.
    expect(() => huffmanDecode(Buffer.from([0b00011111, 0xff]))).toThrow(/padding/);
  });
});

describe('HpackDecoder', () => {
  it('decodes the three requests of RFC 7541 C.4 with one shared dynamic table', () => {
    const d = new HpackDecoder();
    expect(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ]);
    expect(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
      ['cache-control', 'no-cache'],
    ]);
    expect(d.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/index.html'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value'],
    ]);
  });

  it('evicts the oldest entries past the table size (RFC 7541 C.5, 256 bytes)', () => {
    const d = new HpackDecoder(256);
    d.decode(hex('20')); // a table size update to 0, then ...
    d.decode(hex('3fe1 01')); // ... back to 256
    const first = hex(
      '4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
    );
    expect(d.decode(first)[0]).toEqual([':status', '302']);
    // The second response refers to entries 63-65 and inserts ':status 307', evicting '302'.
    const second = d.decode(hex('4803 3330 37c1 c0bf'));
    expect(second).toEqual([
      [':status', '307'],
      ['cache-control', 'private'],
      ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
      ['location', 'https://www.example.com'],
    ]);
    // Four entries are left (62-65); 66 would be the evicted one.
    expect(d.decode(hex('c1'))).toEqual([['cache-control', 'private']]);
    expect(() => d.decode(hex('c2'))).toThrow(HpackError);
  });

  it('refuses indexes beyond the table, truncated blocks and oversized table updates', () => {
    const d = new HpackDecoder();
    expect(() => d.decode(hex('be'))).toThrow(HpackError);
    expect(() => d.decode(hex('80'))).toThrow(HpackError);
    expect(() => d.decode(hex('4088 25a8'))).toThrow(HpackError);
    expect(() => d.decode(hex('3fe2 1f'))).toThrow(/table size/);
  });
});
