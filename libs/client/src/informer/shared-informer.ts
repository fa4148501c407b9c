// One cache of one resource, kept by one reflector, feeding any number of handlers
// (client-go's sharedIndexInformer, without the per-handler goroutines: JavaScript runs one
// handler at a time anyway, and handlers are expected to be quick, e.g. to queue a key).
import type { KubeObject } from '@flotilla/api';
import { realClock, sleep, type Clock, type TimerHandle } from '../clock';
import type { ListerWatcher } from '../contract';
import { DeletedFinalStateUnknown } from './deleted-final-state';
import { byNamespace, Indexer, NAMESPACE_INDEX, type Indexers } from './indexer';
import { objectKey } from './keys';
import { Lister } from './lister';
import { Reflector, type ReflectorOptions, type ReflectorSink } from './reflector';

/**
 * What an informer tells its handlers. Objects are the cache's own, frozen: clone to change them.
 * onDelete gets a DeletedFinalStateUnknown when the delete was only inferred from a relist.
 */
export interface ResourceEventHandler<T extends KubeObject = KubeObject> {
  onAdd?(obj: T, isInInitialList: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T | DeletedFinalStateUnknown<T>): void;
}

export interface HandlerOptions {
  /** Every this many ms, each cached object is re-delivered as onUpdate(obj, obj). */
  resyncMs?: number;
}

export interface HandlerRegistration {
  /** True once this handler has been told of the initial list. */
  hasSynced(): boolean;
  remove(): void;
}

export interface SharedInformerOptions<T extends KubeObject> extends ReflectorOptions {
  /** Extra indices; a namespace index ("namespace") is always kept. */
  indexers?: Indexers<T>;
  /** Told when a handler throws (the informer carries on with the next one). */
  onHandlerError?: (err: unknown) => void;
}

interface Listener<T extends KubeObject> {
  handler: ResourceEventHandler<T>;
  synced: boolean;
  resyncTimer?: TimerHandle;
}

export class SharedInformer<T extends KubeObject = KubeObject> {
  readonly indexer: Indexer<T>;
  readonly lister: Lister<T>;
  private readonly reflector: Reflector<T>;
  private readonly listeners = new Set<Listener<T>>();
  /** The listeners as an array, remade when one is added or removed: read on every event. */
  private handlers: ResourceEventHandler<T>[] = [];
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private started = false;
  private stopped = false;
  private readonly clock: Clock;

  constructor(
    lw: ListerWatcher<T>,
    private readonly opts: SharedInformerOptions<T> = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.indexer = new Indexer<T>({ [NAMESPACE_INDEX]: byNamespace, ...(opts.indexers ?? {}) });
    this.lister = new Lister(this.indexer);
    const sink: ReflectorSink<T> = {
      replace: (items) => this.replace(items),
      apply: (type, obj) => this.apply(type, obj),
    };
    this.reflector = new Reflector(lw, sink, opts);
  }

  /** The newest resourceVersion the cache reflects. */
  get lastResourceVersion(): string {
    return this.reflector.lastResourceVersion;
  }

  /**
   * Registers `handler`. Added after the initial list, it is first told of every cached object
   * (onAdd, isInInitialList true), so late handlers see the same world as early ones.
   */
  addEventHandler(
    handler: ResourceEventHandler<T>,
    opts: HandlerOptions = {},
  ): HandlerRegistration {
    const listener: Listener<T> = { handler, synced: false };
    if (this.synced) {
      for (const obj of this.indexer.list()) this.call(() => handler.onAdd?.(obj, true));
      listener.synced = true;
    }
    this.listeners.add(listener);
    this.handlers = [...this.listeners].map((l) => l.handler);
    if (opts.resyncMs && opts.resyncMs > 0) this.scheduleResync(listener, opts.resyncMs);
    return {
      hasSynced: () => listener.synced,
      remove: () => {
        this.listeners.delete(listener);
        this.handlers = [...this.listeners].map((l) => l.handler);
        if (listener.resyncTimer !== undefined) this.clock.clearTimeout(listener.resyncTimer);
      },
    };
  }

  /** Adds indices, built at once over the cache. */
  addIndexers(indexers: Indexers<T>): void {
    this.indexer.addIndexers(indexers);
  }

  /** Starts listing and watching (once). */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    void this.reflector.run();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.reflector.stop();
    for (const l of this.listeners)
      if (l.resyncTimer !== undefined) this.clock.clearTimeout(l.resyncTimer);
    for (const w of this.syncWaiters.splice(0)) w();
  }

  get isRunning(): boolean {
    return this.started && !this.stopped;
  }

  /** True once the first list is in the cache and every handler has been told of it. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once synced; false if stopped, aborted or out of time first. */
  async waitForSync(opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<boolean> {
    if (this.synced) return true;
    if (this.stopped) return false;
    const timeout = new AbortController();
    const synced = new Promise<void>((resolve) => this.syncWaiters.push(resolve));
    const waits: Promise<void>[] = [synced];
    if (opts.signal)
      waits.push(
        new Promise((resolve) =>
          opts.signal!.addEventListener('abort', () => resolve(), { once: true }),
        ),
      );
    if (opts.timeoutMs !== undefined) waits.push(sleep(this.clock, opts.timeoutMs, timeout.signal));
    await Promise.race(waits);
    timeout.abort();
    return this.synced;
  }

  // ---- from the reflector ----------------------------------------------------------------------

  private replace(items: T[]): void {
    const initial = !this.synced;
    const listed = new Set<string>();
    for (const obj of items) {
      const key = objectKey(obj);
      listed.add(key);
      const old = this.indexer.put(obj);
      if (!old) this.notify((h) => h.onAdd?.(obj, initial));
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion)
        this.notify((h) => h.onUpdate?.(old, obj));
    }
    for (const key of this.indexer.keys()) {
      if (listed.has(key)) continue;
      const last = this.indexer.remove(key)!;
      const gone = new DeletedFinalStateUnknown(key, last);
      this.notify((h) => h.onDelete?.(gone));
    }
    if (initial) {
      this.synced = true;
      for (const l of this.listeners) l.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  // Per watch event: no closure, no copy of the listener list (a handler that adds or removes
  // handlers replaces the array, so this loop runs over the one it started with).
  private apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void {
    const handlers = this.handlers;
    if (type === 'DELETED') {
      const old = this.indexer.remove(objectKey(obj));
      if (!old) return;
      for (let i = 0; i < handlers.length; i++) {
        try {
          handlers[i].onDelete?.(obj);
        } catch (err) {
          this.handlerFailed(err);
        }
      }
      return;
    }
    const old = this.indexer.put(obj);
    for (let i = 0; i < handlers.length; i++) {
      try {
        if (old) handlers[i].onUpdate?.(old, obj);
        else handlers[i].onAdd?.(obj, false);
      } catch (err) {
        this.handlerFailed(err);
      }
    }
  }

  private notify(fn: (h: ResourceEventHandler<T>) => void): void {
    for (const h of this.handlers) this.call(() => fn(h));
  }

  private handlerFailed(err: unknown): void {
    try {
      this.opts.onHandlerError?.(err);
    } catch {
      // nothing more to do
    }
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      try {
        this.opts.onHandlerError?.(err);
      } catch {
        // nothing more to do
      }
    }
  }

  private scheduleResync(listener: Listener<T>, every: number): void {
    listener.resyncTimer = this.clock.setTimeout(() => {
      if (this.stopped || !this.listeners.has(listener)) return;
      if (this.synced)
        for (const obj of this.indexer.list())
          this.call(() => listener.handler.onUpdate?.(obj, obj));
      this.scheduleResync(listener, every);
    }, every);
  }
}
