import type { ResourceInfo } from '@flotilla/api';
import type { KvBackend } from '../storage/kv-backend';
import { resourcePrefix } from '../storage/key-layout';
import { storedFormOf } from '../storage/stored-forms';
import { WatchCache, WatchCacheOptions } from './watch-cache';

/** One watch cache per resource on this master, created on first use. */
export class WatchCaches {
  private readonly caches = new Map<string, WatchCache>();
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly kv: KvBackend,
    private readonly opts: WatchCacheOptions,
  ) {}

  for(r: Pick<ResourceInfo, 'group' | 'plural'>): WatchCache {
    const prefix = resourcePrefix(r);
    // A resource stored in another's form has a cache of its own over the same keys.
    const form = storedFormOf(r);
    const name = form ? `${prefix}@${form.name}` : prefix;
    let cache = this.caches.get(name);
    if (!cache) {
      cache = new WatchCache(this.kv, prefix, this.opts, form);
      this.caches.set(name, cache);
    }
    return cache;
  }

  /**
   * Stops the caches over a resource's keys (every form), ending their watches: a resource that
   * stopped being served (its CRD deleted). A later request builds a fresh cache.
   */
  drop(r: Pick<ResourceInfo, 'group' | 'plural'> & Partial<Pick<ResourceInfo, 'custom'>>): void {
    const prefix = resourcePrefix(r);
    for (const [name, cache] of this.caches) {
      if (name !== prefix && !name.startsWith(`${prefix}@`)) continue;
      cache.stop();
      this.caches.delete(name);
    }
  }

  /** Idle caches learn the store's revision through progress notifications (for bookmarks). */
  startProgress(intervalMs: number): void {
    this.ticker ??= setInterval(() => this.kv.progress(), intervalMs);
    this.ticker.unref();
  }

  get watcherCount(): number {
    let n = 0;
    for (const c of this.caches.values()) n += c.watcherCount;
    return n;
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    for (const c of this.caches.values()) c.stop();
  }
}
