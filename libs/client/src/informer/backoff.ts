import type { Clock } from '../clock';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Each wait is stretched by up to this fraction of itself at random. */
  jitter: number;
  /** After this long without a back-off, the next one starts from initialMs again. */
  resetAfterMs: number;
}

/** The reflector's back-off in client-go: 800 ms doubling to 30 s, jitter 1.0, reset after 2 min quiet. */
export const REFLECTOR_BACKOFF: BackoffOptions = {
  initialMs: 800,
  maxMs: 30_000,
  factor: 2,
  jitter: 1,
  resetAfterMs: 120_000,
};

export class Backoff {
  private current: number;
  private lastAt = -Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly random: () => number,
    private readonly opts: BackoffOptions = REFLECTOR_BACKOFF,
  ) {
    this.current = opts.initialMs;
  }

  /** The next wait, growing with each call unless the last one was long ago. */
  next(): number {
    const now = this.clock.now();
    if (now - this.lastAt > this.opts.resetAfterMs) this.current = this.opts.initialMs;
    this.lastAt = now;
    const base = this.current;
    this.current = Math.min(this.opts.maxMs, base * this.opts.factor);
    return base + this.random() * this.opts.jitter * base;
  }
}
