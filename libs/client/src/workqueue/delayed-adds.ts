import type { Clock, TimerHandle } from '../clock';

interface Entry<T> {
  item: T;
  readyAt: number;
}

/**
 * Items waiting for their time to join the queue, each once (a second wait for a waiting item
 * keeps the sooner of the two), on one timer for the earliest.
 */
export class DelayedAdds<T> {
  private readonly readyAt = new Map<T, number>();
  private heap: Entry<T>[] = [];
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly release: (item: T) => void,
  ) {}

  get size(): number {
    return this.readyAt.size;
  }

  addAfter(item: T, ms: number): void {
    const at = this.clock.now() + ms;
    const known = this.readyAt.get(item);
    if (known !== undefined && known <= at) return;
    this.readyAt.set(item, at);
    this.push({ item, readyAt: at });
    this.arm();
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    this.readyAt.clear();
    this.heap = [];
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    while (this.heap.length > 0 && this.heap[0].readyAt <= now) {
      const e = this.pop();
      // Entries overtaken by a sooner wait for the same item are stale.
      if (this.readyAt.get(e.item) !== e.readyAt) continue;
      this.readyAt.delete(e.item);
      this.release(e.item);
    }
    this.arm();
  }

  private arm(): void {
    while (this.heap.length > 0 && this.readyAt.get(this.heap[0].item) !== this.heap[0].readyAt)
      this.pop();
    if (this.heap.length === 0) return;
    const next = this.heap[0].readyAt;
    if (next >= this.timerAt) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = this.clock.setTimeout(() => this.fire(), next - this.clock.now());
  }

  private push(e: Entry<T>): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent].readyAt <= h[i].readyAt) break;
      [h[parent], h[i]] = [h[i], h[parent]];
      i = parent;
    }
  }

  private pop(): Entry<T> {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l].readyAt < h[m].readyAt) m = l;
        if (r < h.length && h[r].readyAt < h[m].readyAt) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}
