// All keys ever seen (until compacted away), each with its KeyIndex, plus a sorted array of the
// keys for range scans. Index keys are latin1 strings, so string order is byte order. Inserting a
// key that sorts last is O(1); a key in the middle costs an O(n) splice (fine for ~10^5 keys;
// a B-tree would be the next step past that). Pure.
import { KeyIndex } from './key-index';
import { Revision, indexKey } from './layout';

export interface KeySpan {
  start: string;
  /** Exclusive end; undefined = no upper bound. Ignored when `single`. */
  end: string | undefined;
  single: boolean;
}

/** etcd's range_end conventions: empty = the key alone, [0x00] = every key >= key. */
export function keySpan(key: Uint8Array, rangeEnd: Uint8Array | undefined): KeySpan {
  const start = indexKey(key);
  if (rangeEnd === undefined || rangeEnd.length === 0) return { start, end: start, single: true };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start, end: undefined, single: false };
  return { start, end: indexKey(rangeEnd), single: false };
}

export function spanContains(span: KeySpan, key: string): boolean {
  if (span.single) return key === span.start;
  return key >= span.start && (span.end === undefined || key < span.end);
}

export class TreeIndex {
  private readonly byKey = new Map<string, KeyIndex>();
  private sorted: string[] = [];

  get size(): number {
    return this.sorted.length;
  }

  get(key: string): KeyIndex | undefined {
    return this.byKey.get(key);
  }

  getOrCreate(key: string, keyBytes: Buffer): KeyIndex {
    let ki = this.byKey.get(key);
    if (ki !== undefined) return ki;
    ki = new KeyIndex(keyBytes);
    this.byKey.set(key, ki);
    const n = this.sorted.length;
    if (n === 0 || this.sorted[n - 1] < key) this.sorted.push(key);
    else this.sorted.splice(this.lowerBound(key), 0, key);
    return ki;
  }

  /** Key indexes in the span, in key order. */
  span(span: KeySpan): KeyIndex[] {
    if (span.single) {
      const ki = this.byKey.get(span.start);
      return ki === undefined ? [] : [ki];
    }
    const out: KeyIndex[] = [];
    const keys = this.sorted;
    for (let i = this.lowerBound(span.start); i < keys.length; i++) {
      if (span.end !== undefined && keys[i] >= span.end) break;
      out.push(this.byKey.get(keys[i]) as KeyIndex);
    }
    return out;
  }

  /** Every key index in key order. */
  all(): KeyIndex[] {
    return this.sorted.map((k) => this.byKey.get(k) as KeyIndex);
  }

  /** Compacts every key at `atRev`; returns the revisions <= atRev that must stay on disk. */
  compact(atRev: number): Set<string> {
    const keep = new Set<string>();
    const record = (rev: Revision) => keep.add(revisionId(rev));
    let removed = false;
    for (const [key, ki] of this.byKey) {
      ki.compact(atRev, record);
      if (ki.isEmpty()) {
        this.byKey.delete(key);
        removed = true;
      }
    }
    if (removed) this.sorted = this.sorted.filter((k) => this.byKey.has(k));
    return keep;
  }

  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export function revisionId(rev: Revision): string {
  return `${rev.main}.${rev.sub}`;
}
