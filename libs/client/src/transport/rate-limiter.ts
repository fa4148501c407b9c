// A token bucket, as client-go's flowcontrol limiter: `qps` tokens a second, at most `burst`
// saved up; each request takes one, waiting (in arrival order) when none is left.

export interface RateLimit {
  qps: number;
  burst: number;
}

/**
 * Our default. client-go's is 5 QPS / burst 10, sized for a shared etcd; kube-controller-manager
 * raises it to 20/30 and the scheduler to 50/100. Our store serves thousands of writes a second
 * on one machine, so a controller gets 50/100: fast resyncs and start-up lists, while one
 * runaway loop still cannot take the masters over.
 */
export const DEFAULT_RATE_LIMIT: RateLimit = { qps: 50, burst: 100 };

export interface LimiterClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: LimiterClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly limit: RateLimit,
    private readonly clock: LimiterClock = realClock,
  ) {
    if (!(limit.qps > 0) || !(limit.burst >= 1))
      throw new Error(`rate limit needs qps > 0 and burst >= 1 (got ${limit.qps}/${limit.burst})`);
    this.tokens = limit.burst;
    this.last = clock.now();
  }

  /** Takes a token now if one is there. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * Takes a token, waiting until one is due. Tokens are reserved at arrival (the count may go
   * negative), so waiters are served in order and each waits exactly for its own token.
   */
  take(): Promise<void> {
    this.refill();
    this.tokens -= 1;
    if (this.tokens >= 0) return Promise.resolve();
    // The deficit counts every earlier waiter's token: a later arrival waits longer.
    return this.clock.sleep((-this.tokens / this.limit.qps) * 1000);
  }

  /** Tokens available now (negative while requests wait). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.limit.burst, this.tokens + elapsed * this.limit.qps);
  }
}
