// Keys in sorted order, each with a value, kept in blocks of a few hundred. Inserting a key costs
// two binary searches and a splice of one block, where one flat array would move every key after
// it: with 10^5 keys and Kubernetes names arriving in no particular order, the flat splice
// dominated the apply of a create. Values sit next to their keys, so a range scan hands them out
// without a hash lookup per key (a list counts every key of its prefix). Each block also keeps the
// total weight of its values (the owner says what a value weighs and when it changes), so a count
// over a long span adds up blocks instead of looking at every key. Pure.

/** A block is split in two when it grows past this. */
const MAX_BLOCK = 512;

export class SortedKeys<V> {
  private keys: string[][] = [];
  private values: V[][] = [];
  /** The sum of weigh(value) over each block, kept current through insert and adjust. */
  private weights: number[] = [];
  private count = 0;

  constructor(private readonly weigh: (value: V) => number = () => 0) {}

  get size(): number {
    return this.count;
  }

  /** Adds a key that is not in the set yet. */
  insert(key: string, value: V): void {
    const blocks = this.keys;
    if (blocks.length === 0) {
      blocks.push([key]);
      this.values.push([value]);
      this.weights.push(this.weigh(value));
      this.count = 1;
      return;
    }
    // The first block whose last key is >= key, else the last block (the key sorts last).
    const b = Math.min(this.blockFor(key), blocks.length - 1);
    const block = blocks[b];
    const vals = this.values[b];
    if (block[block.length - 1] < key) {
      block.push(key);
      vals.push(value);
    } else {
      const at = lowerBound(block, key);
      block.splice(at, 0, key);
      vals.splice(at, 0, value);
    }
    this.count++;
    this.weights[b] += this.weigh(value);
    if (block.length > MAX_BLOCK) {
      const half = block.length >>> 1;
      blocks.splice(b + 1, 0, block.splice(half));
      this.values.splice(b + 1, 0, vals.splice(half));
      this.weights.splice(b, 1, this.sum(this.values[b]), this.sum(this.values[b + 1]));
    }
  }

  /** The weight of the value under `key` (which must be in the set) changed by `delta`. */
  adjust(key: string, delta: number): void {
    const b = this.blockFor(key);
    if (b >= this.keys.length) throw new Error('sorted keys: adjusting a key that is not there');
    this.weights[b] += delta;
  }

  /**
   * Visits the values of the keys >= start and < end in order until `visit` returns false, and
   * returns the total weight of the values after the one it stopped at: whole blocks by their
   * kept sums, only the edges value by value.
   */
  visitThenWeigh(start: string, end: string | undefined, visit: (value: V) => boolean): number {
    const blocks = this.keys;
    let b = this.blockFor(start);
    if (b >= blocks.length) return 0;
    let i = lowerBound(blocks[b], start);
    let visiting = true;
    let rest = 0;
    for (; b < blocks.length; b++, i = 0) {
      const block = blocks[b];
      const vals = this.values[b];
      const whole = end === undefined || block[block.length - 1] < end;
      if (!visiting && whole && i === 0) {
        rest += this.weights[b];
        continue;
      }
      for (; i < block.length && (whole || block[i] < end!); i++) {
        if (visiting) visiting = visit(vals[i]);
        else rest += this.weigh(vals[i]);
      }
      if (!whole) break;
    }
    return rest;
  }

  /** The values of the keys >= start and < end (no upper bound when end is undefined), in order. */
  between(start: string, end: string | undefined): V[] {
    const out: V[] = [];
    const blocks = this.keys;
    let b = this.blockFor(start);
    if (b >= blocks.length) return out;
    let i = lowerBound(blocks[b], start);
    for (; b < blocks.length; b++, i = 0) {
      const block = blocks[b];
      const vals = this.values[b];
      if (end === undefined || block[block.length - 1] < end) {
        // The whole rest of the block is in range: copy it without comparing key by key.
        for (; i < vals.length; i++) out.push(vals[i]);
        continue;
      }
      for (; i < block.length && block[i] < end; i++) out.push(vals[i]);
      return out;
    }
    return out;
  }

  /** Every key in order. */
  allKeys(): string[] {
    return ([] as string[]).concat(...this.keys);
  }

  /** Every value in key order. */
  allValues(): V[] {
    return ([] as V[]).concat(...this.values);
  }

  /** Keeps only the entries for which `keep` is true. */
  retain(keep: (key: string, value: V) => boolean): void {
    const keys: string[][] = [];
    const values: V[][] = [];
    const weights: number[] = [];
    let count = 0;
    this.keys.forEach((block, b) => {
      const vals = this.values[b];
      const k: string[] = [];
      const v: V[] = [];
      block.forEach((key, i) => {
        if (!keep(key, vals[i])) return;
        k.push(key);
        v.push(vals[i]);
      });
      if (k.length === 0) return;
      keys.push(k);
      values.push(v);
      weights.push(this.sum(v));
      count += k.length;
    });
    this.keys = keys;
    this.values = values;
    this.weights = weights;
    this.count = count;
  }

  private sum(values: readonly V[]): number {
    let total = 0;
    for (const v of values) total += this.weigh(v);
    return total;
  }

  /** The first block whose last key is >= key (the number of blocks when there is none). */
  private blockFor(key: string): number {
    const blocks = this.keys;
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
