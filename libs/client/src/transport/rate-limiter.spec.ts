import { LimiterClock, TokenBucket } from './rate-limiter';

/** A clock that only moves when a waiter sleeps or the test advances it. */
function fakeClock() {
  let now = 0;
  const sleeps: number[] = [];
  const clock: LimiterClock = {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  };
  return { clock, sleeps, advance: (ms: number) => (now += ms) };
}

describe('TokenBucket', () => {
  it('lets a burst through at once, then one token per 1/qps seconds', async () => {
    const { clock, sleeps, advance } = fakeClock();
    const bucket = new TokenBucket({ qps: 10, burst: 3 }, clock);
    for (let i = 0; i < 3; i++) await bucket.take();
    expect(sleeps).toEqual([]);
    // The next three each wait for their own token: 100, 200, 300 ms from now.
    await Promise.all([bucket.take(), bucket.take(), bucket.take()]);
    expect(sleeps.map(Math.round)).toEqual([100, 200, 300]);
    expect(bucket.available()).toBe(-3);
    advance(300);
    expect(bucket.available()).toBeCloseTo(0);
  });

  it('refills to the burst and no further', () => {
    const { clock, advance } = fakeClock();
    const bucket = new TokenBucket({ qps: 5, burst: 2 }, clock);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    advance(199);
    expect(bucket.tryTake()).toBe(false);
    advance(1);
    expect(bucket.tryTake()).toBe(true);
    advance(60_000);
    expect(bucket.available()).toBe(2);
  });

  it('holds a steady rate under a long queue', async () => {
    const { clock, sleeps } = fakeClock();
    const bucket = new TokenBucket({ qps: 50, burst: 100 }, clock);
    await Promise.all(Array.from({ length: 600 }, () => bucket.take()));
    // 100 at once, then 500 more at 50/s: the last waits 10 s.
    expect(sleeps).toHaveLength(500);
    expect(Math.round(sleeps[sleeps.length - 1])).toBe(10_000);
  });

  it('refuses a limit that cannot work', () => {
    expect(() => new TokenBucket({ qps: 0, burst: 1 })).toThrow(/qps > 0/);
    expect(() => new TokenBucket({ qps: 1, burst: 0 })).toThrow(/burst >= 1/);
  });
});
