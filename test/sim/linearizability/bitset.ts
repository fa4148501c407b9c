import { mix32 } from './hash';

/**
 * The set of operations linearized so far. Its hash is the XOR of one fixed random word per
 * member (Zobrist hashing), so adding or removing a member updates it in O(1).
 */
export class OperationSet {
  readonly words: Uint32Array;
  private hashValue = 0;

  constructor(readonly size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  get hash(): number {
    return this.hashValue;
  }

  has(index: number): boolean {
    return (this.words[index >>> 5] & (1 << (index & 31))) !== 0;
  }

  add(index: number): void {
    if (this.has(index)) return;
    this.words[index >>> 5] |= 1 << (index & 31);
    this.hashValue = (this.hashValue ^ memberKey(index)) >>> 0;
  }

  delete(index: number): void {
    if (!this.has(index)) return;
    this.words[index >>> 5] &= ~(1 << (index & 31));
    this.hashValue = (this.hashValue ^ memberKey(index)) >>> 0;
  }

  sameMembers(words: Uint32Array): boolean {
    for (let i = 0; i < words.length; i++) {
      if (words[i] !== this.words[i]) return false;
    }
    return true;
  }
}

function memberKey(index: number): number {
  return mix32(Math.imul(index + 1, 0x9e3779b9));
}
