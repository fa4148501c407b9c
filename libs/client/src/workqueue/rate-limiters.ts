// How long an item waits before it is retried: per-item exponential back-off, an overall token
// bucket, and the larger of several (client-go's util/workqueue rate limiters).
import { realClock, type Clock } from '../clock';

export interface RateLimiter<T> {
  /** How long `item` should wait before its next try (and counts the try). */
  when(item: T): number;
  /** Stops tracking `item` (it succeeded, or it is given up on). */
  forget(item: T): void;
  /** Failures counted for `item` since it was last forgotten. */
  numRequeues(item: T): number;
}

/** baseMs · 2^failures, capped at maxMs. */
export class ItemExponentialRateLimiter<T> implements RateLimiter<T> {
  private readonly failures = new Map<T, number>();

  constructor(
    readonly baseMs: number,
    readonly maxMs: number,
  ) {}

  when(item: T): number {
    const n = this.failures.get(item) ?? 0;
    this.failures.set(item, n + 1);
    const delay = this.baseMs * 2 ** n;
    return Number.isFinite(delay) && delay < this.maxMs ? delay : this.maxMs;
  }

  forget(item: T): void {
    this.failures.delete(item);
  }

  numRequeues(item: T): number {
    return this.failures.get(item) ?? 0;
  }
}

/**
 * A token bucket over all items (golang.org/x/time/rate's Reserve().Delay()): `burst` retries go
 * at once, then one per 1/qps seconds; each `when` reserves a token, possibly in the future.
 */
export class BucketRateLimiter<T> implements RateLimiter<T> {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly clock: Clock = realClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_item: T): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  forget(_item: T): void {}

  numRequeues(_item: T): number {
    return 0;
  }
}

/** The longest wait any of `limiters` asks for. */
export class MaxOfRateLimiter<T> implements RateLimiter<T> {
  private readonly limiters: RateLimiter<T>[];

  constructor(...limiters: RateLimiter<T>[]) {
    this.limiters = limiters;
  }

  when(item: T): number {
    return Math.max(0, ...this.limiters.map((l) => l.when(item)));
  }

  forget(item: T): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: T): number {
    return Math.max(0, ...this.limiters.map((l) => l.numRequeues(item)));
  }
}

/**
 * client-go's DefaultControllerRateLimiter: per item 5 ms doubling up to 1000 s, and overall
 * 10 retries per second with a burst of 100, whichever is longer.
 */
export function defaultControllerRateLimiter<T>(clock: Clock = realClock): RateLimiter<T> {
  return new MaxOfRateLimiter<T>(
    new ItemExponentialRateLimiter<T>(5, 1_000_000),
    new BucketRateLimiter<T>(10, 100, clock),
  );
}
