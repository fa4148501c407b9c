// The controller work queue (client-go's util/workqueue): keys, not objects; each key queued at
// most once; a key being processed is never handed to a second worker; failed keys come back
// after a rate-limited delay.
import type { Registry } from 'prom-client';
import { realClock, type Clock } from '../clock';
import { DelayedAdds } from './delayed-adds';
import { QueueMetrics } from './metrics';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiters';

export interface WorkQueueOptions<T> {
  /** Names the queue in metrics (label `name`); metrics are kept only with a name and a registry. */
  name?: string;
  registry?: Registry;
  clock?: Clock;
  /** Default: client-go's default controller rate limiter. */
  rateLimiter?: RateLimiter<T>;
}

export type QueueItem<T> = { item: T; shutdown: false } | { item: undefined; shutdown: true };

export class WorkQueue<T = string> {
  private readonly queue: T[] = [];
  private head = 0;
  /** Items that need processing: queued, or added again while being processed. */
  private readonly dirty = new Set<T>();
  private readonly processing = new Set<T>();
  private readonly waiters: ((next: QueueItem<T>) => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private stopping = false;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter<T>;
  private readonly delayed: DelayedAdds<T>;
  private readonly metrics: QueueMetrics<T> | undefined;

  constructor(opts: WorkQueueOptions<T> = {}) {
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter<T>(this.clock);
    this.delayed = new DelayedAdds(this.clock, (item) => this.add(item));
    this.metrics =
      opts.name && opts.registry
        ? new QueueMetrics<T>(opts.name, opts.registry, this.clock)
        : undefined;
  }

  /** Queues `item` unless it is queued already; one being processed is queued again when done. */
  add(item: T): void {
    if (this.stopping || this.dirty.has(item)) return;
    this.dirty.add(item);
    if (this.processing.has(item)) return;
    this.enqueue(item);
  }

  /** Adds `item` after `ms` milliseconds (at once when ms ≤ 0). */
  addAfter(item: T, ms: number): void {
    if (this.stopping) return;
    if (ms <= 0) this.add(item);
    else this.delayed.addAfter(item, ms);
  }

  /** Adds `item` again after the rate limiter's delay for it (a retry). */
  addRateLimited(item: T): void {
    if (this.stopping) return;
    this.metrics?.retry();
    this.addAfter(item, this.limiter.when(item));
  }

  /** Resets `item`'s back-off: call it when the item succeeded or is given up on. */
  forget(item: T): void {
    this.limiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.limiter.numRequeues(item);
  }

  /** Items queued (not those being processed or waiting for a delayed add). */
  len(): number {
    return this.queue.length - this.head;
  }

  /** Items waiting for a delayed add. */
  get waiting(): number {
    return this.delayed.size;
  }

  get shuttingDown(): boolean {
    return this.stopping;
  }

  /**
   * The next item, once there is one; the caller owns it until `done(item)`. After shutdown the
   * queued items are still handed out, then `{ shutdown: true }`.
   */
  get(): Promise<QueueItem<T>> {
    const next = this.take();
    if (next) return Promise.resolve(next);
    if (this.stopping) return Promise.resolve({ item: undefined, shutdown: true });
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `item` processed; if it was added meanwhile, it is queued again now. */
  done(item: T): void {
    if (!this.processing.delete(item)) return;
    this.metrics?.done(item);
    if (this.dirty.has(item)) this.enqueue(item);
    else if (this.processing.size === 0) this.wakeDrainers();
  }

  /** Stops taking items: adds are ignored, delayed adds dropped, idle workers told to stop. */
  shutDown(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.delayed.stop();
    for (const w of this.waiters.splice(0)) w({ item: undefined, shutdown: true });
  }

  /** shutDown, then waits until every item handed out has been marked done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private enqueue(item: T): void {
    this.metrics?.add(item);
    const waiter = this.waiters.shift();
    if (waiter) {
      // Straight to an idle worker: nothing else can take it in between.
      this.dirty.delete(item);
      this.handOut(item);
      waiter({ item, shutdown: false });
      return;
    }
    this.queue.push(item);
  }

  private take(): QueueItem<T> | undefined {
    if (this.head >= this.queue.length) return undefined;
    const item = this.queue[this.head];
    this.queue[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.dirty.delete(item);
    this.handOut(item);
    return { item, shutdown: false };
  }

  private handOut(item: T): void {
    this.processing.add(item);
    this.metrics?.get(item);
  }

  private wakeDrainers(): void {
    for (const w of this.drainWaiters.splice(0)) w();
  }
}
