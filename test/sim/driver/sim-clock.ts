import type { Clock, Timer } from '@flotilla/io';
import { EventQueue, SimEvent, SimProcess } from './event-queue';

/** What processes and their clocks need from the world: its time and its queue. */
export interface Scheduler {
  readonly now: number;
  readonly queue: EventQueue;
}

/** One incarnation of a member: everything it schedules runs only while it lives. */
export class MemberProcess implements SimProcess {
  dead = false;
  paused = false;
  backlog: SimEvent[] = [];

  constructor(
    readonly name: string,
    private readonly world: Scheduler,
  ) {}

  /** Runs `fn` in this process after `ms` of virtual time. */
  after(ms: number, fn: () => void): void {
    this.world.queue.push(this.world.now + ms, this, fn);
  }

  /** Resolves after `ms`, in this process; never, if it dies first. */
  delay(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }
}

class SimTimer {
  cancelled = false;

  constructor(
    readonly fn: () => void,
    readonly ms: number,
    readonly repeat: boolean,
  ) {}
}

/**
 * A member's clock on virtual time. Timers are events of its process: while it is paused they
 * wait, and an interval that came due many times then fires once and carries on from the
 * resume, as a SIGCONT'd Node process does. `lateness` draws how late a timer fires (a busy
 * event loop); the wall clock may be skewed from the world's.
 */
export class SimClock implements Clock {
  constructor(
    private readonly world: Scheduler,
    private readonly process: MemberProcess,
    private readonly wallOffsetMs: number,
    private readonly lateness: () => number,
  ) {}

  now(): number {
    return Math.floor(this.wallOffsetMs + this.world.now);
  }

  monotonic(): number {
    return this.world.now;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const t = new SimTimer(fn, ms, false);
    this.arm(t);
    return t;
  }

  clearTimeout(timer: Timer | undefined): void {
    if (timer instanceof SimTimer) timer.cancelled = true;
  }

  setInterval(fn: () => void, ms: number): Timer {
    const t = new SimTimer(fn, ms, true);
    this.arm(t);
    return t;
  }

  clearInterval(timer: Timer | undefined): void {
    this.clearTimeout(timer);
  }

  nextTurn(fn: () => void): void {
    this.process.after(0, fn);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  private arm(t: SimTimer): void {
    this.process.after(Math.max(1, t.ms) + this.lateness(), () => {
      if (t.cancelled) return;
      if (t.repeat) this.arm(t);
      t.fn();
    });
  }
}
