import type { KubeObject } from '@flotilla/api';
import type { WatchEvent, WatchHandle } from '../contract';

/**
 * One open watch on the fake server. Events are handed over on a later microtask, in order, as a
 * stream would deliver them; `close` ends the stream cleanly (a server closing it), `fail` breaks
 * it (a connection reset): either way `done` settles and nothing more is delivered.
 */
export class FakeWatch<T extends KubeObject = KubeObject> implements WatchHandle {
  readonly done: Promise<void>;
  private pending: WatchEvent<T>[] = [];
  private flushing = false;
  private ended = false;
  private settle!: (err?: unknown) => void;

  constructor(
    private readonly onEvent: (e: WatchEvent<T>) => void,
    private readonly onEnd: (w: FakeWatch<T>) => void,
    readonly client: string,
    readonly allowBookmarks: boolean,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = (err) => (err === undefined ? resolve() : reject(err));
    });
    // A caller that never awaits `done` must not see an unhandled rejection.
    this.done.catch(() => undefined);
  }

  get open(): boolean {
    return !this.ended;
  }

  push(event: WatchEvent<T>): void {
    if (this.ended) return;
    this.pending.push(event);
    this.schedule();
  }

  /** Ends the stream after what is already queued has been delivered. */
  close(): void {
    this.finish(undefined);
  }

  /** Breaks the stream: what is queued is lost, `done` rejects with `err`. */
  fail(err: Error): void {
    this.pending = [];
    this.finish(err);
  }

  stop(): void {
    this.pending = [];
    this.finish(undefined);
  }

  private finish(err: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(this);
    if (this.pending.length === 0 && !this.flushing) this.settle(err);
    else this.afterFlush = () => this.settle(err);
  }

  private afterFlush: (() => void) | undefined;

  private schedule(): void {
    if (this.flushing) return;
    this.flushing = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    while (this.pending.length > 0) {
      const e = this.pending.shift()!;
      try {
        this.onEvent(e);
      } catch {
        // A handler that throws is the caller's bug; the stream goes on, as a real one would.
      }
    }
    this.flushing = false;
    this.afterFlush?.();
    this.afterFlush = undefined;
  }
}
