/** Something to run at a virtual time; `owner` is the process it belongs to (none: the world). */
export interface SimEvent {
  at: number;
  seq: number;
  owner: SimProcess | undefined;
  run: () => void;
}

/**
 * One run of a member's code, from start (or restart) to crash: while paused its events wait,
 * once dead they never run. A new incarnation is a new SimProcess.
 */
export interface SimProcess {
  readonly name: string;
  readonly dead: boolean;
  readonly paused: boolean;
  /** Events that came due while paused, in the order they came due. */
  readonly backlog: SimEvent[];
}

/**
 * The discrete event queue of the simulated world: a binary heap ordered by time, then by the
 * order events were scheduled, so equal times run first-come first-served and a seed replays.
 */
export class EventQueue {
  private readonly heap: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, owner: SimProcess | undefined, run: () => void): SimEvent {
    const ev: SimEvent = { at, seq: this.seq++, owner, run };
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
    return ev;
  }

  peekTime(): number | undefined {
    return this.heap[0]?.at;
  }

  pop(): SimEvent | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
