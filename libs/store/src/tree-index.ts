// All keys ever seen (until compacted away), each with its KeyIndex, plus the keys in order for
// range scans. Index keys are latin1 strings, so string order is byte order. Pure.
import { KeyIndex } from './key-index';
import { Revision, indexKey } from './layout';
import { SortedKeys } from './sorted-keys';

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

const isLive = (ki: KeyIndex): number => (ki.latest() === undefined ? 0 : 1);

export class TreeIndex {
  private readonly byKey = new Map<string, KeyIndex>();
  /** Weighed by liveness: a block's weight is how many of its keys exist now. */
  private readonly sorted = new SortedKeys<KeyIndex>(isLive);
  /** The highest main revision recorded: at or after it, "exists" is "live now". */
  private lastRevision = 0;

  get size(): number {
    return this.sorted.size;
  }

  get(key: string): KeyIndex | undefined {
    return this.byKey.get(key);
  }

  getOrCreate(key: string): KeyIndex {
    let ki = this.byKey.get(key);
    if (ki !== undefined) return ki;
    ki = new KeyIndex(key);
    this.byKey.set(key, ki);
    this.sorted.insert(key, ki);
    return ki;
  }

  /** Records a put of the key (creating it when it did not exist). */
  put(ki: KeyIndex, rev: Revision, createRevision: number, version: number, lease: number): void {
    const wasLive = ki.latest() !== undefined;
    ki.put(rev, createRevision, version, lease);
    if (!wasLive) this.sorted.adjust(ki.name, 1);
    this.lastRevision = Math.max(this.lastRevision, rev.main);
  }

  /** Records a deletion of the key (nothing when it does not exist). */
  tombstone(ki: KeyIndex, rev: Revision): void {
    if (ki.latest() === undefined) return;
    ki.tombstone(rev);
    this.sorted.adjust(ki.name, -1);
    this.lastRevision = Math.max(this.lastRevision, rev.main);
  }

  /**
   * Visits the keys of the span in order until `visit` returns false, and returns how many of
   * the keys after the one it stopped at exist at `rev`, counted by whole blocks: a page of a
   * list of 20 000 keys no longer looks at each of them. Undefined, with nothing visited, when
   * `rev` is older than the last write (existence is then not liveness) or the span is one key.
   */
  visitThenCountLive(
    span: KeySpan,
    rev: number,
    visit: (ki: KeyIndex) => boolean,
  ): number | undefined {
    if (span.single || rev < this.lastRevision) return undefined;
    return this.sorted.visitThenWeigh(span.start, span.end, visit);
  }

  /** Key indexes in the span, in key order. */
  span(span: KeySpan): KeyIndex[] {
    if (span.single) {
      const ki = this.byKey.get(span.start);
      return ki === undefined ? [] : [ki];
    }
    return this.sorted.between(span.start, span.end);
  }

  /** Every key index in key order. */
  all(): KeyIndex[] {
    return this.sorted.allValues();
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
    if (removed) this.sorted.retain((key) => this.byKey.has(key));
    return keep;
  }
}

export function revisionId(rev: Revision): string {
  return `${rev.main}.${rev.sub}`;
}
