import type { KubeObject } from '@flotilla/api';
import { EventType, KeyValue, WatchResponse, prefixEnd } from '@flotilla/store';
import type { KvBackend, KvWatch } from '../storage/kv-backend';
import { decodeKv } from '../storage/object-codec';
import type { StoredForm } from '../storage/stored-forms';
import { EventQueue } from './event-queue';
import { ApiWatch, ApiWatchEvent, throughSelector } from './watch-event';

export interface WatchCacheOptions {
  /** Recent changes kept so that watches resuming from a recent resourceVersion start here. */
  windowSize: number;
  /** Events a watcher may fall behind by before it is ended. */
  watcherQueue: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/** What a watch asks for. */
export interface CacheWatchRequest {
  /** Absent: the current state as ADDED events, then changes. Else: changes after this revision. */
  sinceRevision?: number;
  /** Only keys under this prefix (one namespace, or the whole resource). */
  keyPrefix: string;
  matches: (o: KubeObject) => boolean;
  /** Reshapes each object sent (Table rows); identity when absent. */
  transform?: (o: KubeObject) => Record<string, unknown>;
  /** The object of a BOOKMARK event at a revision. */
  bookmark: (resourceVersion: string) => Record<string, unknown>;
}

interface Change {
  change: 'put' | 'delete';
  key: string;
  revision: number;
  object: KubeObject;
  prev?: KubeObject;
  json?: string;
}

/**
 * One resource's objects as this master has applied them, fed by ONE store watch over the
 * resource's prefix, with a bounded window of recent changes. Watches start from it (initial
 * state or resume within the window) and share its fan-out; lists at resourceVersion "0" read it.
 */
export class WatchCache {
  private readonly objects = new Map<string, KubeObject>();
  private window: Change[] = [];
  private windowHead = 0;
  /** Every change with a revision above this one is in the window. */
  private floor = 0;
  private rev = 0;
  private changes = 0;
  private readonly watchers = new Set<CacheWatcher>();
  private storeWatch: KvWatch | undefined;
  private started: Promise<void> | undefined;
  private stopped = false;
  private waiters: { revision: number; resolve: () => void }[] = [];

  constructor(
    private readonly kv: KvBackend,
    readonly prefix: string,
    private readonly opts: WatchCacheOptions,
    /** The resource's view of what is stored under `prefix`, when it is stored in another form. */
    private readonly form?: StoredForm,
  ) {}

  private decode(kv: KeyValue): KubeObject {
    const stored = decodeKv(kv);
    return this.form ? this.form.fromStored(stored) : stored;
  }

  /** The revision the cache reflects: nothing under the prefix changed up to it unseen. */
  get revision(): number {
    return this.rev;
  }

  /** Moves on with every change applied and every relist: derived views rebuild when it does. */
  get changeCount(): number {
    return this.changes;
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  get size(): number {
    return this.objects.size;
  }

  start(): Promise<void> {
    this.started ??= this.load();
    return this.started;
  }

  stop(): void {
    this.stopped = true;
    this.storeWatch?.cancel();
    for (const w of [...this.watchers]) w.stop();
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }

  /** Resolves true once the cache has reached `revision`, false after `timeoutMs`. */
  async waitFor(revision: number, timeoutMs: number): Promise<boolean> {
    await this.start();
    if (this.rev >= revision) return true;
    this.kv.progress();
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(this.rev >= revision);
      }, timeoutMs);
      const waiter = {
        revision,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.rev >= revision);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** The objects under `keyPrefix` that match, in key order, and the revision they are at. */
  /** The cached object at `key`, if any. */
  get(key: string): KubeObject | undefined {
    return this.objects.get(key);
  }

  snapshot(
    keyPrefix: string,
    matches: (o: KubeObject) => boolean,
  ): { items: KubeObject[]; revision: number } {
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(keyPrefix)).sort();
    const items: KubeObject[] = [];
    for (const k of keys) {
      const o = this.objects.get(k)!;
      if (matches(o)) items.push(o);
    }
    return { items, revision: this.rev };
  }

  /** A watch served from the cache, or undefined when `sinceRevision` is older than the window. */
  watch(req: CacheWatchRequest): ApiWatch | undefined {
    // Before the window, or compacted in the store (then the history watch answers 410).
    if (
      req.sinceRevision !== undefined &&
      (req.sinceRevision < this.floor || req.sinceRevision + 1 < this.kv.compactRevision())
    ) {
      return undefined;
    }
    const w = new CacheWatcher(
      req,
      this.opts.watcherQueue,
      () => this.rev,
      (x) => this.watchers.delete(x),
    );
    if (req.sinceRevision === undefined) {
      for (const [key, o] of [...this.objects].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        if (key.startsWith(req.keyPrefix) && req.matches(o)) w.added(o);
      }
    } else {
      for (let i = this.windowHead; i < this.window.length; i++) {
        if (this.window[i].revision > req.sinceRevision) w.offer(this.window[i]);
      }
    }
    this.watchers.add(w);
    return w;
  }

  private async load(): Promise<void> {
    const start = Buffer.from(this.prefix);
    const r = await this.kv.range({ key: start, rangeEnd: prefixEnd(start), serializable: true });
    this.objects.clear();
    for (const kv of r.kvs) this.objects.set(kv.key.toString('utf8'), this.decode(kv));
    this.rev = r.header.revision;
    this.changes++;
    this.floor = this.rev;
    this.window = [];
    this.windowHead = 0;
    this.follow(this.rev + 1);
  }

  private follow(fromRevision: number): void {
    if (this.stopped) return;
    const start = Buffer.from(this.prefix);
    const watch = this.kv.watch({
      key: start,
      rangeEnd: prefixEnd(start),
      startRevision: fromRevision,
      progressNotify: true,
    });
    this.storeWatch = watch;
    void this.pump(watch);
  }

  private async pump(watch: KvWatch): Promise<void> {
    let cancel: WatchResponse | undefined;
    try {
      for await (const resp of watch) {
        if (resp.canceled) {
          cancel = resp;
          break;
        }
        this.apply(resp);
      }
    } catch (err) {
      this.opts.log?.('watch cache: store watch failed', {
        prefix: this.prefix,
        error: String(err),
      });
    }
    if (this.stopped) return;
    if (cancel?.compactRevision !== undefined || cancel === undefined) {
      // Changes were missed: start over from a fresh list; watchers re-watch (clients do).
      this.opts.log?.('watch cache: relisting', { prefix: this.prefix });
      for (const w of [...this.watchers]) w.stop();
      this.started = this.load().catch((err) => {
        this.opts.log?.('watch cache: relist failed', { prefix: this.prefix, error: String(err) });
        this.started = undefined;
      });
      return;
    }
    // The store dropped us for falling behind: resume right after the last change seen.
    this.follow(this.rev + 1);
  }

  private apply(resp: WatchResponse): void {
    for (const ev of resp.events) {
      const key = ev.kv.key.toString('utf8');
      const prev = this.objects.get(key);
      let change: Change;
      if (ev.type === EventType.PUT) {
        const object = this.decode(ev.kv);
        this.objects.set(key, object);
        change = { change: 'put', key, revision: ev.kv.modRevision, object, prev };
      } else {
        if (!prev) continue;
        this.objects.delete(key);
        const object = {
          ...prev,
          metadata: { ...prev.metadata, resourceVersion: String(ev.kv.modRevision) },
        };
        change = { change: 'delete', key, revision: ev.kv.modRevision, object, prev };
      }
      this.remember(change);
      this.changes++;
      for (const w of this.watchers) w.offer(change);
    }
    this.rev = Math.max(this.rev, resp.header.revision);
    if (this.waiters.length > 0) {
      const due = this.waiters.filter((w) => w.revision <= this.rev);
      this.waiters = this.waiters.filter((w) => w.revision > this.rev);
      for (const w of due) w.resolve();
    }
  }

  private remember(change: Change): void {
    this.window.push(change);
    while (this.window.length - this.windowHead > this.opts.windowSize) {
      this.floor = this.window[this.windowHead++].revision;
    }
    if (this.windowHead > 1024 && this.windowHead * 2 > this.window.length) {
      this.window = this.window.slice(this.windowHead);
      this.windowHead = 0;
    }
  }
}

class CacheWatcher implements ApiWatch {
  private readonly queue: EventQueue<ApiWatchEvent>;
  private lastSent = 0;

  constructor(
    private readonly req: CacheWatchRequest,
    capacity: number,
    private readonly cacheRevision: () => number,
    private readonly onStop: (w: CacheWatcher) => void,
  ) {
    this.queue = new EventQueue(capacity, () => this.stop());
  }

  added(o: KubeObject): void {
    this.push('ADDED', o, Number(o.metadata.resourceVersion ?? 0));
  }

  offer(c: Change): void {
    if (!c.key.startsWith(this.req.keyPrefix)) return;
    const type = throughSelector(c.change, this.req.matches, c.object, c.prev);
    if (type === undefined) return;
    if (this.req.transform) {
      this.queue.push({ type, object: this.req.transform(c.object), revision: c.revision });
    } else {
      c.json ??= JSON.stringify(c.object);
      this.queue.push({ type, object: c.object, json: c.json, revision: c.revision });
    }
    this.lastSent = c.revision;
  }

  /** Queues a BOOKMARK at the cache's revision, behind every change up to it. */
  bookmark(): void {
    const rev = this.cacheRevision();
    if (rev <= this.lastSent) return;
    this.lastSent = rev;
    this.queue.push({ type: 'BOOKMARK', object: this.req.bookmark(String(rev)), revision: rev });
  }

  progressRevision(): number {
    return Math.max(this.lastSent, this.cacheRevision());
  }

  stop(): void {
    this.queue.end();
    this.onStop(this);
  }

  [Symbol.asyncIterator](): AsyncIterator<ApiWatchEvent> {
    return this.queue;
  }

  private push(type: 'ADDED', o: KubeObject, revision: number): void {
    const object = this.req.transform ? this.req.transform(o) : o;
    this.queue.push({ type, object, revision });
  }
}
