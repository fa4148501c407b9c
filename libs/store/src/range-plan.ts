// Which index hits a RangeRequest returns, following etcd's apply rules: count is every key in the
// range at the read revision; then min/max filters; then sort (NONE with a non-KEY target means
// ASCEND, ASCEND by KEY is the natural order); then limit, with `more` when something was cut.
// Everything but a sort by value is decided from the in-memory index, before reading values.
import { KeyAt, KeyIndex } from './key-index';
import type { KeySpan, TreeIndex } from './tree-index';
import { KeyValue, RangeRequest, SortOrder, SortTarget } from './types';

export interface IndexHit {
  ki: KeyIndex;
  at: KeyAt;
}

export interface RangePlan {
  count: number;
  /** Hits whose values must be read, already in response order unless `sortByValue`. */
  hits: IndexHit[];
  sortByValue: boolean;
  order: SortOrder;
}

export function effectiveSortOrder(req: RangeRequest): SortOrder {
  const order = req.sortOrder ?? SortOrder.NONE;
  const target = req.sortTarget ?? SortTarget.KEY;
  if (target !== SortTarget.KEY && order === SortOrder.NONE) return SortOrder.ASCEND;
  if (target === SortTarget.KEY && order === SortOrder.ASCEND) return SortOrder.NONE;
  return order;
}

/**
 * The hits of the keys in the span at `rev`, and how many keys exist there. When the answer is
 * the first `limit` keys in key order (or only the count), later keys are counted, not collected:
 * by whole blocks of the index when `rev` is the latest revision, else one check per key.
 */
export function collectHits(
  index: Pick<TreeIndex, 'span' | 'visitThenCountLive'>,
  span: KeySpan,
  rev: number,
  req: RangeRequest,
): { hits: IndexHit[]; count: number } {
  const keep = hitsToKeep(req);
  const hits: IndexHit[] = [];
  let count = 0;
  const take = (ki: KeyIndex): boolean => {
    const at = ki.get(rev);
    if (at !== undefined) {
      count++;
      if (hits.length < keep) hits.push({ ki, at });
    }
    return hits.length < keep;
  };
  const rest = index.visitThenCountLive(span, rev, take);
  if (rest !== undefined) return { hits, count: count + rest };
  for (const ki of index.span(span)) {
    if (hits.length < keep) take(ki);
    else if (ki.existsAt(rev)) count++;
  }
  return { hits, count };
}

/**
 * How many hits, in key order, a range needs before the rest only count: none for count_only,
 * limit+1 for a page in key order (the extra one tells `more`), else all of them.
 */
function hitsToKeep(req: RangeRequest): number {
  if (req.countOnly) return 0;
  const filtered =
    req.minModRevision || req.maxModRevision || req.minCreateRevision || req.maxCreateRevision;
  const keyOrder = !filtered && effectiveSortOrder(req) === SortOrder.NONE;
  const limit = req.limit ?? 0;
  return keyOrder && limit > 0 ? limit + 1 : Infinity;
}

/** `count` is the number of keys in the range when `all` holds only the first of them. */
export function planRange(all: IndexHit[], req: RangeRequest, count = all.length): RangePlan {
  const order = effectiveSortOrder(req);
  if (req.countOnly) return { count, hits: [], sortByValue: false, order };
  let hits = all;
  const { minModRevision: minMod, maxModRevision: maxMod } = req;
  const { minCreateRevision: minCreate, maxCreateRevision: maxCreate } = req;
  if (minMod || maxMod || minCreate || maxCreate) {
    hits = hits.filter(
      ({ at }) =>
        (!minMod || at.mod.main >= minMod) &&
        (!maxMod || at.mod.main <= maxMod) &&
        (!minCreate || at.createRevision >= minCreate) &&
        (!maxCreate || at.createRevision <= maxCreate),
    );
  }
  const target = req.sortTarget ?? SortTarget.KEY;
  if (order !== SortOrder.NONE && target === SortTarget.VALUE) {
    return { count, hits, sortByValue: true, order };
  }
  if (order !== SortOrder.NONE && target === SortTarget.KEY) {
    hits = [...hits].reverse();
  } else if (order !== SortOrder.NONE) {
    const field = indexField(target);
    const sign = order === SortOrder.DESCEND ? -1 : 1;
    // Array.prototype.sort is stable: ties keep key order.
    hits = [...hits].sort((a, b) => sign * (field(a) - field(b)));
  }
  const limit = req.limit ?? 0;
  // One extra hit tells finishRange whether to set `more`.
  if (limit > 0 && hits.length > limit + 1) hits = hits.slice(0, limit + 1);
  return { count, hits, sortByValue: false, order };
}

function indexField(target: SortTarget): (h: IndexHit) => number {
  switch (target) {
    case SortTarget.VERSION:
      return (h) => h.at.version;
    case SortTarget.CREATE:
      return (h) => h.at.createRevision;
    case SortTarget.MOD:
      return (h) => h.at.mod.main;
    default:
      return () => 0;
  }
}

/** Applies the value sort if any, the limit and keys_only to the values read for a plan. */
export function finishRange(
  kvs: KeyValue[],
  req: RangeRequest,
  plan: RangePlan,
): { kvs: KeyValue[]; more: boolean } {
  let out = kvs;
  if (plan.sortByValue) {
    const sign = plan.order === SortOrder.DESCEND ? -1 : 1;
    out = [...out].sort((a, b) => sign * Buffer.compare(a.value, b.value));
  }
  let more = false;
  const limit = req.limit ?? 0;
  if (limit > 0 && out.length > limit) {
    out = out.slice(0, limit);
    more = true;
  }
  if (req.keysOnly) out = out.map((kv) => ({ ...kv, value: Buffer.alloc(0) }));
  return { kvs: out, more };
}
