import type { Clock, TimerHandle } from '../clock';

interface FakeTimer {
  id: number;
  due: number;
  fn: () => void;
}

/** Lets every promise chain that is waiting on nothing but other promises run to its end. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A clock that moves only when told. `advance` fires the timers that fall due in time order and
 * lets the promise chains they start settle before the next one fires, so a test reads as a
 * timeline: "at t=2000 the lease expired, at t=2300 the rival acquired".
 */
export class FakeClock implements Clock {
  private t: number;
  private nextId = 1;
  private timers: FakeTimer[] = [];

  constructor(start = Date.UTC(2025, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, due: this.t + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    const id = handle as unknown as number;
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.length;
  }

  /** When the next timer is due, if any. */
  nextDue(): number | undefined {
    return this.timers.reduce<number | undefined>(
      (m, t) => (m === undefined || t.due < m ? t.due : m),
      undefined,
    );
  }

  /** Moves time forward by `ms`, firing what falls due on the way (and what is due now when 0). */
  async advance(ms = 0): Promise<void> {
    const target = this.t + ms;
    await settle();
    for (;;) {
      const next = this.earliestDueBy(target);
      if (!next) break;
      this.t = Math.max(this.t, next.due);
      this.timers = this.timers.filter((t) => t !== next);
      next.fn();
      await settle();
    }
    this.t = target;
    await settle();
  }

  /** Advances in steps of `step` ms until `done()` holds or `limit` ms have passed; returns done(). */
  async advanceUntil(done: () => boolean, limit: number, step = 10): Promise<boolean> {
    const end = this.t + limit;
    while (!done() && this.t < end) await this.advance(Math.min(step, end - this.t));
    return done();
  }

  private earliestDueBy(target: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers) {
      if (t.due > target) continue;
      if (!best || t.due < best.due || (t.due === best.due && t.id < best.id)) best = t;
    }
    return best;
  }
}
