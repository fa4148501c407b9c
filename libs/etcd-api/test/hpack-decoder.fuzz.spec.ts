// Property-based tests of the HPACK decoder and its Huffman code: what the test encoder writes
// (every representation, shared dynamic table, size updates) decodes back exactly; arbitrary and
// mutated blocks never fail other than with HpackError; the header list and the dynamic table
// never grow past their bounds.
import fc from 'fast-check';
import { HpackDecoder, HpackError, fieldSize } from '../src/grpc/hpack-decoder';
import { HuffmanError, huffmanDecode } from '../src/grpc/hpack-huffman';
import { fuzzParameters } from './fuzz-config';
import { FieldChoice, TestHpackEncoder, huffmanEncode } from './hpack-test-encoder';

/** Any octets, as latin1 strings (HPACK carries octets; the decoder gives latin1). */
const octets = (maxLength: number) =>
  fc.string({
    unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
    maxLength,
  });

/** Names and values that hit the static table often, and arbitrary ones. */
const name = fc.oneof(
  fc.constantFrom(':method', ':path', 'content-type', 'grpc-timeout', 'te', 'user-agent', 'x-a'),
  octets(40),
);
const value = fc.oneof(
  fc.constantFrom('', 'POST', 'GET', '/', 'application/grpc', '5S'),
  octets(200),
);

const choice: fc.Arbitrary<FieldChoice> = fc.record({
  representation: fc.constantFrom('indexed', 'incremental', 'without', 'never'),
  nameByIndex: fc.boolean(),
  huffmanName: fc.boolean(),
  huffmanValue: fc.boolean(),
});

const block = fc.record({
  sizeUpdate: fc.option(fc.integer({ min: 0, max: 4096 }), { nil: undefined }),
  fields: fc.array(fc.tuple(name, value, choice), { maxLength: 12 }),
});

function encodeBlocks(
  blocks: Array<{ sizeUpdate?: number; fields: Array<[string, string, FieldChoice]> }>,
): Buffer[] {
  const encoder = new TestHpackEncoder();
  return blocks.map((b) =>
    Buffer.concat([
      ...(b.sizeUpdate === undefined ? [] : [encoder.sizeUpdate(b.sizeUpdate)]),
      ...b.fields.map(([n, v, c]) => encoder.field(n, v, c)),
    ]),
  );
}

/** Decodes, and checks the failure is HPACK's own and the bounds held. */
function decodeSafely(decoder: HpackDecoder, bytes: Buffer, limit: number): boolean {
  try {
    const { headers } = decoder.decodeBlock(bytes);
    const listBytes = headers.reduce((sum, [n, v]) => sum + fieldSize(n, v), 0);
    expect(listBytes).toBeLessThanOrEqual(limit);
    expect(decoder.tableBytes).toBeLessThanOrEqual(4096);
    return true;
  } catch (err) {
    if (!(err instanceof HpackError)) throw err;
    return false;
  }
}

describe('HPACK decoder, property-based', () => {
  it('decodes back every sequence of blocks the test encoder writes', () => {
    fc.assert(
      fc.property(fc.array(block, { minLength: 1, maxLength: 6 }), (blocks) => {
        const decoder = new HpackDecoder();
        encodeBlocks(blocks).forEach((bytes, i) => {
          const expected = blocks[i].fields.map(([n, v]) => [n, v]);
          expect(decoder.decode(bytes)).toEqual(expected);
        });
      }),
      fuzzParameters(),
    );
  });

  it('keeps the fields within the header-list limit and says when it cut the list', () => {
    fc.assert(
      fc.property(block, fc.integer({ min: 0, max: 2000 }), (b, limit) => {
        const [bytes] = encodeBlocks([b]);
        const { headers, oversize } = new HpackDecoder(4096, limit).decodeBlock(bytes);
        // Fields are kept in order until the first that does not fit.
        const expected: Array<[string, string]> = [];
        let total = 0;
        for (const [n, v] of b.fields) {
          total += fieldSize(n, v);
          if (total > limit) break;
          expected.push([n, v]);
        }
        const all = b.fields.reduce((sum, [n, v]) => sum + fieldSize(n, v), 0);
        expect(oversize).toBe(all > limit);
        expect(headers).toEqual(expected);
      }),
      fuzzParameters(),
    );
  });

  it('fails arbitrary bytes only with HpackError, within its bounds', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 5 }), (blocks) => {
        const decoder = new HpackDecoder(4096, 1000);
        for (const bytes of blocks) if (!decodeSafely(decoder, Buffer.from(bytes), 1000)) break;
      }),
      fuzzParameters(),
    );
  });

  it('fails mutated valid blocks only with HpackError, within its bounds', () => {
    const mutation = fc.record({
      kind: fc.constantFrom('flip', 'set', 'insert', 'delete', 'truncate'),
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(block, fc.array(mutation, { minLength: 1, maxLength: 4 }), (b, mutations) => {
        const bytes = [...encodeBlocks([b])[0]];
        for (const m of mutations) {
          const at = bytes.length === 0 ? 0 : m.at % bytes.length;
          if (m.kind === 'flip' && bytes.length > 0) bytes[at] ^= 1 << (m.byte % 8);
          else if (m.kind === 'set' && bytes.length > 0) bytes[at] = m.byte;
          else if (m.kind === 'insert') bytes.splice(at, 0, m.byte);
          else if (m.kind === 'delete') bytes.splice(at, 1);
          else if (m.kind === 'truncate') bytes.length = at;
        }
        decodeSafely(new HpackDecoder(4096, 1000), Buffer.from(bytes), 1000);
      }),
      fuzzParameters(),
    );
  });
});

describe('HPACK Huffman code, property-based', () => {
  it('decodes back what the code encodes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(Buffer.from(huffmanDecode(huffmanEncode(bytes)), 'latin1')).toEqual(
          Buffer.from(bytes),
        );
      }),
      fuzzParameters(),
    );
  });

  it('fails arbitrary bytes only with HuffmanError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          expect(huffmanDecode(Buffer.from(bytes)).length).toBeLessThanOrEqual(
            Math.ceil((bytes.length * 8) / 5),
          );
        } catch (err) {
          if (!(err instanceof HuffmanError)) throw err;
        }
      }),
      fuzzParameters(),
    );
  });
});
