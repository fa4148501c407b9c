// Time as the control loops see it: injected, so tests can drive queues, informers and elections
// step by step with a fake clock instead of waiting on the wall clock.

export type TimerHandle = { readonly __timer: unique symbol };

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds (0 or less: on a later turn of the event loop). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The process clock. Timers are unref'd: a pending retry or resync never keeps a process alive. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return t as unknown as TimerHandle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};

/** Resolves after `ms` on `clock`, or at once when `signal` aborts (then it rejects nothing: it resolves). */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clock.clearTimeout(handle);
      resolve();
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `base` stretched by up to `factor` of itself at random (client-go's wait.Jitter). */
export function jitter(base: number, factor: number, random: () => number): number {
  return factor > 0 ? base + random() * factor * base : base;
}
