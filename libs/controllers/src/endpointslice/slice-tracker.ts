// What this controller last wrote to each EndpointSlice, so that a sync never works from a cache
// that has not caught up with its own writes (that would create duplicates or undo an update),
// and so that the watch echoing its own writes does not queue the Service again. Kubernetes'
// controller tracks generations; our API server does not bump an EndpointSlice's generation, so
// this tracks resourceVersions (etcd revisions, which only grow).
import type { EndpointSlice } from '@flotilla/client';

const rv = (slice: EndpointSlice): bigint => {
  try {
    return BigInt(slice.metadata.resourceVersion ?? '0');
  } catch {
    return 0n;
  }
};

export class SliceTracker {
  /** uid → resourceVersion written, or 'deleted'. */
  private readonly written = new Map<string, bigint | 'deleted'>();
  /** service key → uids written for it. */
  private readonly byService = new Map<string, Set<string>>();

  wrote(serviceKey: string, slice: EndpointSlice): void {
    this.note(serviceKey, slice.metadata.uid!, rv(slice));
  }

  deleted(serviceKey: string, slice: EndpointSlice): void {
    this.note(serviceKey, slice.metadata.uid!, 'deleted');
  }

  private note(serviceKey: string, uid: string, what: bigint | 'deleted'): void {
    this.written.set(uid, what);
    let uids = this.byService.get(serviceKey);
    if (!uids) this.byService.set(serviceKey, (uids = new Set()));
    uids.add(uid);
  }

  /** True when `slice` (from the cache) is this controller's own latest write, or newer. */
  isExpected(slice: EndpointSlice): boolean {
    const w = this.written.get(slice.metadata.uid ?? '');
    return w !== undefined && w !== 'deleted' && rv(slice) === w;
  }

  /**
   * True when the cache lags what was written for the Service: a slice older than the write, a
   * deleted one still there, or a created one not there yet.
   */
  isStale(serviceKey: string, cached: EndpointSlice[]): boolean {
    const uids = this.byService.get(serviceKey);
    if (!uids) return false;
    const seen = new Set<string>();
    for (const slice of cached) {
      const uid = slice.metadata.uid ?? '';
      seen.add(uid);
      const w = this.written.get(uid);
      if (w === undefined) continue;
      if (w === 'deleted' || rv(slice) < w) return true;
    }
    for (const uid of uids) {
      // Written but not in the cache yet (a slice seen deleted in the watch is forgotten).
      if (this.written.get(uid) !== 'deleted' && !seen.has(uid)) return true;
    }
    return false;
  }

  /** The watch reported `slice` gone: it is no longer expected anywhere. */
  forgetSlice(serviceKey: string, slice: EndpointSlice): void {
    const uid = slice.metadata.uid ?? '';
    this.written.delete(uid);
    this.byService.get(serviceKey)?.delete(uid);
  }

  forgetService(serviceKey: string): void {
    for (const uid of this.byService.get(serviceKey) ?? []) this.written.delete(uid);
    this.byService.delete(serviceKey);
  }
}
