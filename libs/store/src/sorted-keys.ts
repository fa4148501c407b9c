// A sorted set of strings kept in blocks of a few hundred keys. Inserting a key costs two binary
// searches and a splice of one block, where one flat array would move every key after it: with
// 10^5 keys and Kubernetes names arriving in no particular order, the flat splice dominated the
// apply of a create. Pure.

/** A block is split in two when it grows past this. */
const MAX_BLOCK = 512;

export class SortedKeys {
  private blocks: string[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds a key that is not in the set yet. */
  insert(key: string): void {
    const blocks = this.blocks;
    if (blocks.length === 0) {
      blocks.push([key]);
      this.count = 1;
      return;
    }
    // The first block whose last key is >= key, else the last block (the key sorts last).
    const b = Math.min(this.blockFor(key), blocks.length - 1);
    const block = blocks[b];
    if (block[block.length - 1] < key) block.push(key);
    else block.splice(lowerBound(block, key), 0, key);
    this.count++;
    if (block.length > MAX_BLOCK) blocks.splice(b + 1, 0, block.splice(block.length >>> 1));
  }

  /** Calls `visit` with each key >= `start` in order, until it returns false. */
  forEachFrom(start: string, visit: (key: string) => boolean): void {
    const blocks = this.blocks;
    let b = this.blockFor(start);
    if (b >= blocks.length) return;
    let i = lowerBound(blocks[b], start);
    for (; b < blocks.length; b++, i = 0) {
      const block = blocks[b];
      for (; i < block.length; i++) if (!visit(block[i])) return;
    }
  }

  /** Every key in order. */
  toArray(): string[] {
    return ([] as string[]).concat(...this.blocks);
  }

  /** Keeps only the keys for which `keep` is true. */
  retain(keep: (key: string) => boolean): void {
    const blocks: string[][] = [];
    let count = 0;
    for (const block of this.blocks) {
      const kept = block.filter(keep);
      if (kept.length > 0) blocks.push(kept);
      count += kept.length;
    }
    this.blocks = blocks;
    this.count = count;
  }

  /** The first block whose last key is >= key (blocks.length when there is none). */
  private blockFor(key: string): number {
    const blocks = this.blocks;
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const block = blocks[mid];
      if (block[block.length - 1] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
