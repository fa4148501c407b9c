// When syncs run: as soon as asked, but never two closer than the minimum interval (so a burst of
// changes becomes one transaction); one at a time; after a failure again with exponential
// back-off; and at least every maximum interval. Time is injected.

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface SyncRunnerOptions {
  minIntervalMs: number;
  /** A sync runs at least this often (0: only when asked). */
  maxIntervalMs: number;
  /** First retry delay after a failure; doubles up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export class SyncRunner {
  private timer: unknown;
  private dueAt = Infinity;
  private running = false;
  private wanted = false;
  private lastStart = -Infinity;
  private failures = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly sync: () => Promise<boolean>,
    private readonly options: SyncRunnerOptions,
    private readonly timers: Timers = realTimers,
  ) {}

  /** A sync as soon as the minimum interval allows. */
  request(): void {
    this.wanted = true;
    this.scheduleAt(Math.max(this.timers.now(), this.lastStart + this.options.minIntervalMs));
  }

  /** A sync no later than `ms` from now (sooner if something else asks). */
  requestWithin(ms: number): void {
    this.scheduleAt(Math.max(this.timers.now() + ms, this.lastStart + this.options.minIntervalMs));
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.dueAt = Infinity;
  }

  /** Resolves when no sync runs (for an orderly shutdown and for tests). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private scheduleAt(at: number): void {
    if (this.stopped || at >= this.dueAt) return;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.dueAt = at;
    this.timer = this.timers.setTimeout(() => this.fire(), Math.max(0, at - this.timers.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.dueAt = Infinity;
    if (this.stopped) return;
    if (this.running) {
      this.wanted = true; // runs again when the current sync ends
      return;
    }
    void this.runOnce();
  }

  private async runOnce(): Promise<void> {
    this.running = true;
    this.wanted = false;
    this.lastStart = this.timers.now();
    let ok = false;
    try {
      ok = await this.sync();
    } catch {
      ok = false;
    }
    this.running = false;
    for (const w of this.idleWaiters.splice(0)) w();
    if (this.stopped) return;
    if (ok) {
      this.failures = 0;
    } else {
      this.failures++;
      const backoff = Math.min(
        this.options.retryMaxMs,
        this.options.retryBaseMs * 2 ** (this.failures - 1),
      );
      this.scheduleAt(
        Math.max(this.timers.now() + backoff, this.lastStart + this.options.minIntervalMs),
      );
    }
    if (this.wanted) this.request();
    if (this.options.maxIntervalMs > 0)
      this.scheduleAt(this.lastStart + this.options.maxIntervalMs);
  }
}
