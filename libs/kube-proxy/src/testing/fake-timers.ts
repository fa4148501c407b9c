// A manual clock for the sync runner and the proxier: time moves only when a test says so.
import type { Timers } from '../sync-runner';

export class ManualTimers implements Timers {
  private time = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { at: this.time + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** When the next timer fires, if any. */
  nextAt(): number | undefined {
    let at: number | undefined;
    for (const t of this.pending.values()) if (at === undefined || t.at < at) at = t.at;
    return at;
  }

  /** Moves time forward, firing due timers in order; awaits the work they start between them. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (let guard = 0; guard < 10_000; guard++) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.pending) if (!next || entry[1].at < next[1].at) next = entry;
      if (!next || next[1].at > until) break;
      this.pending.delete(next[0]);
      this.time = Math.max(this.time, next[1].at);
      next[1].fn();
      await flushAsync();
    }
    this.time = until;
    await flushAsync();
  }
}

/** Lets promise chains started by a timer run to their end (a few turns of the microtask queue
 *  and one of the event loop). */
export async function flushAsync(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
