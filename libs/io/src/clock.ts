/** A pending timer, good only for cancelling it through the clock that made it. */
export type Timer = object;

/**
 * Time as the storage and Raft code sees it: the wall clock, a monotonic clock for durations,
 * timers and the next turn of the event loop. Production runs on Node's own; the simulation
 * passes a virtual one, so the same code runs in both.
 */
export interface Clock {
  /** Milliseconds since the epoch (Date.now). */
  now(): number;
  /** Milliseconds from an arbitrary origin that never goes back (performance.now), for durations. */
  monotonic(): number;
  /** `background`: the timer alone does not keep the process alive (unref). */
  setTimeout(fn: () => void, ms: number, options?: { background?: boolean }): Timer;
  clearTimeout(timer: Timer | undefined): void;
  setInterval(fn: () => void, ms: number): Timer;
  clearInterval(timer: Timer | undefined): void;
  /** Runs `fn` on a later turn of the event loop, after the I/O that is due (setImmediate). */
  nextTurn(fn: () => void): void;
  /** Resolves after `ms`. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms, options) => {
    const t = setTimeout(fn, ms);
    if (options?.background) t.unref();
    return t;
  },
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (timer) => clearInterval(timer as NodeJS.Timeout | undefined),
  nextTurn: (fn) => void setImmediate(fn),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
