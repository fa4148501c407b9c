// The Huffman code of HPACK (RFC 7541, Appendix B), decode side. The code is canonical, so the
// bit length of each symbol's code (symbols 0-255 and EOS = 256) determines every code; they
// are assigned here in order of length, then of symbol, and read back through a binary tree.

/** Code length in bits of each symbol, 0-256 (RFC 7541 Appendix B). */
const CODE_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28,
  28, 28, 28, 28, 28, 28, 28, 28, 6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5,
  6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, 13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6,
  7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23,
  23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22,
  22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22,
  23, 22, 22, 23, 26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27,
  27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25,
  24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, 30,
];

const EOS = 256;

/** The code of each symbol, from the lengths (canonical assignment). */
export function huffmanCodes(): Array<{ code: number; bits: number }> {
  const symbols = CODE_LENGTHS.map((_, s) => s).sort(
    (a, b) => CODE_LENGTHS[a] - CODE_LENGTHS[b] || a - b,
  );
  const out = new Array<{ code: number; bits: number }>(CODE_LENGTHS.length);
  let code = 0;
  let bits = CODE_LENGTHS[symbols[0]];
  symbols.forEach((s, i) => {
    if (i > 0) {
      code = (code + 1) * 2 ** (CODE_LENGTHS[s] - bits);
      bits = CODE_LENGTHS[s];
    }
    out[s] = { code, bits };
  });
  return out;
}

/**
 * The decoding tree as two arrays of child indices; a negative child is a leaf holding
 * symbol (-child - 1).
 */
function buildTree(): { zero: Int32Array; one: Int32Array } {
  const capacity = 2 * CODE_LENGTHS.length;
  const zero = new Int32Array(capacity);
  const one = new Int32Array(capacity);
  let nodes = 1;
  huffmanCodes().forEach(({ code, bits }, symbol) => {
    let node = 0;
    for (let i = bits - 1; i >= 0; i--) {
      const bit = Math.floor(code / 2 ** i) % 2;
      const children = bit === 0 ? zero : one;
      if (i === 0) children[node] = -symbol - 1;
      else {
        if (children[node] === 0) children[node] = nodes++;
        node = children[node];
      }
    }
  });
  return { zero, one };
}

const TREE = buildTree();

export class HuffmanError extends Error {}

/** Decodes a Huffman-coded HPACK string literal (RFC 7541 5.2) into a latin1 string. */
export function huffmanDecode(input: Buffer): string {
  const out: number[] = [];
  let node = 0;
  // Bits consumed since the last complete symbol, and whether all of them were 1s: only a
  // prefix of EOS (at most 7 one-bits) may pad the end.
  let pending = 0;
  let allOnes = true;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i];
    for (let b = 7; b >= 0; b--) {
      const bit = (byte >> b) & 1;
      const next = bit === 0 ? TREE.zero[node] : TREE.one[node];
      pending++;
      if (bit === 0) allOnes = false;
      if (next < 0) {
        const symbol = -next - 1;
        if (symbol === EOS) throw new HuffmanError('hpack: EOS inside a Huffman string');
        out.push(symbol);
        node = 0;
        pending = 0;
        allOnes = true;
      } else if (next === 0) {
        throw new HuffmanError('hpack: invalid Huffman code');
      } else node = next;
    }
  }
  if (pending > 7 || !allOnes) throw new HuffmanError('hpack: invalid Huffman padding');
  return Buffer.from(out).toString('latin1');
}
