import { Backoff, CRASH_LOOP_BACKOFF } from './backoff';

describe('Backoff (CrashLoopBackOff timing)', () => {
  it('lets the first retry go at once, then waits 10 s doubling to 5 min', () => {
    const b = new Backoff(CRASH_LOOP_BACKOFF);
    let now = 0;
    const waits: number[] = [];
    for (let crash = 0; crash < 9; crash++) {
      const failedAt = now;
      const until = b.waitUntil('k', failedAt, now);
      const wait = until === undefined ? 0 : until - now;
      waits.push(wait / 1000);
      now += wait;
      expect(b.waitUntil('k', failedAt, now)).toBeUndefined();
      b.retried('k', now);
      now += 1000; // the container runs one second, then fails again
    }
    expect(waits).toEqual([0, 10, 20, 40, 80, 160, 300, 300, 300]);
  });

  it('reports the time the wait ends while it lasts', () => {
    const b = new Backoff(CRASH_LOOP_BACKOFF);
    b.retried('k', 0);
    expect(b.waitUntil('k', 5_000, 6_000)).toBe(15_000);
    expect(b.waitUntil('k', 5_000, 15_000)).toBeUndefined();
  });

  it('starts over once a key was left alone for 10 minutes (the container kept running)', () => {
    const b = new Backoff(CRASH_LOOP_BACKOFF);
    for (let i = 0; i < 5; i++) b.retried('k', i);
    expect(b.delayOf('k', 10)).toBe(160_000);
    const later = 4 + 600_001;
    expect(b.waitUntil('k', later, later)).toBeUndefined();
    b.retried('k', later);
    expect(b.delayOf('k', later)).toBe(10_000);
  });

  it('keeps keys apart and forgets a pod by prefix', () => {
    const b = new Backoff(CRASH_LOOP_BACKOFF);
    b.retried('uid1/a', 0);
    b.retried('uid1/a', 0);
    b.retried('uid2/a', 0);
    expect(b.delayOf('uid1/a', 0)).toBe(20_000);
    expect(b.delayOf('uid2/a', 0)).toBe(10_000);
    b.forgetPrefix('uid1/');
    expect(b.delayOf('uid1/a', 0)).toBe(0);
    expect(b.delayOf('uid2/a', 0)).toBe(10_000);
  });
});
