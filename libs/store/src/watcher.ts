// One watch as seen by its consumer: an async iterator of WatchResponses with a bounded buffer.
// The hub pushes; the consumer pulls with `for await` (or next()); `cancel()` or leaving the loop
// ends it. Pushing never waits, so a slow consumer cannot hold up apply or other watchers.
import { KeySpan, spanContains } from './tree-index';
import { indexKey } from './layout';
import { EventType, WatchEvent, WatchResponse } from './types';

const twins = new WeakMap<WatchEvent, WatchEvent>();

/** The event without its previous version: one object for every watcher that did not ask. */
function withoutPrev(e: WatchEvent): WatchEvent {
  let twin = twins.get(e);
  if (twin === undefined) {
    twin = { type: e.type, kv: e.kv };
    twins.set(e, twin);
  }
  return twin;
}

export class Watcher implements AsyncIterableIterator<WatchResponse> {
  private queue: WatchResponse[] = [];
  private head = 0;
  private waiting: ((r: IteratorResult<WatchResponse>) => void) | undefined;
  private drainWaiters: Array<() => void> = [];
  private ended = false;
  /** Events buffered and not yet taken by the consumer. */
  bufferedEvents = 0;
  /** Where the hub keeps this watcher; 'closed' once it gets nothing more. */
  group: 'unsynced' | 'synced' | 'closed' = 'unsynced';
  /** The next revision this watcher must see (for an unsynced watcher, where catch-up resumes). */
  nextRevision: number;

  constructor(
    readonly id: number,
    readonly span: KeySpan,
    /** Events below this revision are never delivered. */
    readonly minRevision: number,
    readonly prevKv: boolean,
    readonly noPut: boolean,
    readonly noDelete: boolean,
    readonly progressNotify: boolean,
    private readonly onCancel: (w: Watcher) => void,
  ) {
    this.nextRevision = minRevision;
  }

  /**
   * The events of `events` this watcher wants, shaped for it (prev_kv only when asked). `keys`,
   * when given, are the events' index keys. The events handed out are shared between watchers
   * (so an event is encoded once for all of them), the shape without prev_kv included.
   */
  select(events: WatchEvent[], keys?: string[]): WatchEvent[] {
    const out: WatchEvent[] = [];
    events.forEach((e, i) => {
      if (e.kv.modRevision < this.minRevision) return;
      if (e.type === EventType.PUT ? this.noPut : this.noDelete) return;
      if (!spanContains(this.span, keys?.[i] ?? indexKey(e.kv.key))) return;
      out.push(this.prevKv || e.prevKv === undefined ? e : withoutPrev(e));
    });
    return out;
  }

  get idle(): boolean {
    return this.bufferedEvents === 0 && this.queue.length === this.head;
  }

  /** Hub side: enqueue a response (no-op once ended). */
  push(resp: WatchResponse): void {
    if (this.ended) return;
    if (this.waiting !== undefined) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: resp, done: false });
      return;
    }
    this.queue.push(resp);
    this.bufferedEvents += resp.events.length;
  }

  /** Hub side: no more responses after those already queued. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.group = 'closed';
    if (this.waiting !== undefined && this.head === this.queue.length) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
    this.wakeDrainWaiters();
  }

  /** Hub side: resolves when the consumer has taken everything buffered (or the watch ended). */
  drained(): Promise<void> {
    if (this.idle || this.ended) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  next(): Promise<IteratorResult<WatchResponse>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head++];
      this.bufferedEvents -= value.events.length;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      if (this.head === this.queue.length) this.wakeDrainWaiters();
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** Consumer side: stop watching; buffered responses are dropped. */
  cancel(): void {
    this.queue = [];
    this.head = 0;
    this.bufferedEvents = 0;
    this.onCancel(this);
    this.end();
  }

  return(): Promise<IteratorResult<WatchResponse>> {
    this.cancel();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<WatchResponse> {
    return this;
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
