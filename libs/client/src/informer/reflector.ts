// List, then watch from the list's resourceVersion; resume dropped watches from the last version
// seen; relist when the server says that version is gone (client-go's tools/cache Reflector).
import { isApiError, type KubeObject } from '@flotilla/api';
import { realClock, sleep, type Clock } from '../clock';
import type { ListerWatcher, ListResult, WatchEvent, WatchHandle } from '../contract';
import { Backoff, REFLECTOR_BACKOFF, type BackoffOptions } from './backoff';
import { deepFreeze } from './freeze';
import type { ObjectTransform } from './transform';

export interface ReflectorSink<T extends KubeObject> {
  /** A complete list, at `resourceVersion`, to replace what is cached. */
  replace(items: T[], resourceVersion: string): void;
  /** One change from the watch. */
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void;
}

export type ReflectorPhase = 'list' | 'watch';

export interface ReflectorOptions {
  /** Names the reflector in errors. */
  name?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Items per list page (limit); 0 for one unpaged list. Default 500, as client-go's pager. */
  pageSize?: number;
  clock?: Clock;
  random?: () => number;
  backoff?: BackoffOptions;
  /** Watches ask the server to end them after a random time in [min, 2·min) seconds. Default 300. */
  minWatchTimeoutSeconds?: number;
  /** Told of every failure the reflector recovers from (to log it). */
  onError?: (err: unknown, phase: ReflectorPhase) => void;
  /** Applied to every listed or watched object before it is frozen and cached. */
  transform?: ObjectTransform;
  /**
   * False: cache objects as decoded, unfrozen (as client-go's informers do). Freezing catches a
   * handler that changes a shared object, but it roughly doubles the per-event cost of an
   * informer whose cache is large (frozen objects that survive to the old generation are costly
   * for the GC). Default true.
   */
  freeze?: boolean;
}

/** A watch that ends this soon with nothing delivered is treated as a failure (back off). */
const VERY_SHORT_WATCH_MS = 1000;

type WatchOutcome =
  { kind: 'closed'; events: number } | { kind: 'expired' } | { kind: 'failed'; error: unknown };

export class Reflector<T extends KubeObject = KubeObject> {
  private lastSyncResourceVersion = '';
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly stopSignal = new AbortController();
  private currentWatch: WatchHandle | undefined;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly backoff: Backoff;

  constructor(
    private readonly lw: ListerWatcher<T>,
    private readonly sink: ReflectorSink<T>,
    private readonly opts: ReflectorOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.backoff = new Backoff(this.clock, this.random, opts.backoff ?? REFLECTOR_BACKOFF);
  }

  /** The newest resourceVersion seen from a list, a watch event or a bookmark. */
  get lastResourceVersion(): string {
    return this.lastSyncResourceVersion;
  }

  /** Starts the list-and-watch loop (once); it runs until stop(). */
  run(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopSignal.abort();
    this.currentWatch?.stop();
  }

  private async loop(): Promise<void> {
    let needList = true;
    while (!this.stopped) {
      if (needList) {
        try {
          await this.list();
          needList = false;
        } catch (err) {
          this.report(err, 'list');
          await this.pause(this.backoff.next());
          continue;
        }
      }
      const started = this.clock.now();
      const outcome = await this.watchOnce();
      if (this.stopped) return;
      switch (outcome.kind) {
        case 'expired':
          needList = true; // the version we hold is compacted away: only a fresh list can follow
          break;
        case 'failed':
          this.report(outcome.error, 'watch');
          await this.pause(this.backoff.next());
          break;
        case 'closed':
          if (outcome.events === 0 && this.clock.now() - started < VERY_SHORT_WATCH_MS) {
            this.report(
              new Error(
                `very short watch: ${this.describe()}: the watch ended at once with no events`,
              ),
              'watch',
            );
            await this.pause(this.backoff.next());
          }
          break;
      }
    }
  }

  /** A consistent list (paged), handed to the sink whole. */
  private async list(): Promise<void> {
    const pageSize = this.opts.pageSize ?? 500;
    let result: { items: T[]; resourceVersion: string };
    try {
      result = await this.listPages(pageSize);
    } catch (err) {
      // A continue token can expire between pages on a busy server; a whole list cannot.
      if (!isExpired(err) || pageSize === 0) throw err;
      result = await this.listPages(0);
    }
    if (this.stopped) return;
    this.sink.replace(result.items, result.resourceVersion);
    this.lastSyncResourceVersion = result.resourceVersion;
  }

  private async listPages(pageSize: number): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let cont: string | undefined;
    let page: ListResult<T>;
    do {
      page = await this.lw.list({
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        ...(pageSize > 0 ? { limit: pageSize } : {}),
        ...(cont ? { continue: cont } : {}),
      });
      for (const item of page.items) items.push(this.prepare(item));
      cont = page.metadata.continue || undefined;
    } while (cont && !this.stopped);
    return { items, resourceVersion: page.metadata.resourceVersion };
  }

  /** One watch from the last version seen, until it ends; events go to the sink as they come. */
  private watchOnce(): Promise<WatchOutcome> {
    return new Promise<WatchOutcome>((resolve) => {
      let ended = false;
      let events = 0;
      let handle: WatchHandle | undefined;
      const end = (outcome: WatchOutcome) => {
        if (ended) return;
        ended = true;
        handle?.stop();
        if (this.currentWatch === handle) this.currentWatch = undefined;
        resolve(outcome);
      };
      const onEvent = (e: WatchEvent<T>) => {
        if (ended || this.stopped) return;
        events++;
        const outcome = this.handle(e);
        if (outcome) end(outcome);
      };
      const min = this.opts.minWatchTimeoutSeconds ?? 300;
      this.lw
        .watch(
          {
            labelSelector: this.opts.labelSelector,
            fieldSelector: this.opts.fieldSelector,
            resourceVersion: this.lastSyncResourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: Math.floor(min + this.random() * min),
          },
          onEvent,
        )
        .then(
          (h) => {
            handle = h;
            if (ended || this.stopped) {
              h.stop();
              end({ kind: 'closed', events });
              return;
            }
            this.currentWatch = h;
            h.done.then(
              () => end({ kind: 'closed', events }),
              // A broken stream is resumed at once, as a closed one: only a failing call backs off.
              () => end({ kind: 'closed', events: Math.max(events, 1) }),
            );
          },
          (error: unknown) =>
            end(isExpired(error) ? { kind: 'expired' } : { kind: 'failed', error }),
        );
    });
  }

  /** Applies one event; an outcome when the event ends the watch. */
  private handle(e: WatchEvent<T>): WatchOutcome | undefined {
    switch (e.type) {
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED':
        try {
          this.sink.apply(e.type, this.prepare(e.object));
        } catch (err) {
          // A failing index function must not end the watch; the object is skipped and reported.
          this.report(err, 'watch');
        }
        break;
      case 'BOOKMARK':
        break;
      case 'ERROR': {
        const status = e.object as unknown as { code?: number; reason?: string; message?: string };
        if (status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone')
          return { kind: 'expired' };
        return {
          kind: 'failed',
          error: new Error(
            `watch of ${this.describe()} failed: ${status.message ?? 'unknown error'}`,
          ),
        };
      }
      default:
        return {
          kind: 'failed',
          error: new Error(
            `watch of ${this.describe()} sent an unknown event type ${String(e.type)}`,
          ),
        };
    }
    const rv = e.object?.metadata?.resourceVersion;
    if (rv) this.lastSyncResourceVersion = rv;
    return undefined;
  }

  /** Transformed (if asked), then frozen (unless told not to): what the cache and every handler share. */
  private prepare(obj: T): T {
    const transform = this.opts.transform as ObjectTransform<T> | undefined;
    const out = transform ? transform(obj) : obj;
    return this.opts.freeze === false ? out : deepFreeze(out);
  }

  private pause(ms: number): Promise<void> {
    return sleep(this.clock, ms, this.stopSignal.signal);
  }

  private report(err: unknown, phase: ReflectorPhase): void {
    try {
      this.opts.onError?.(err, phase);
    } catch {
      // Logging must not stop the loop.
    }
  }

  private describe(): string {
    return this.opts.name ?? 'reflector';
  }
}

function isExpired(err: unknown): boolean {
  return isApiError(err) && (err.code === 410 || err.reason === 'Expired' || err.reason === 'Gone');
}
