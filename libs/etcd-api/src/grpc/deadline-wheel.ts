// Call deadlines (grpc-timeout) on one timer for the whole server: calls sit in slots of
// `resolutionMs`, and a sweep while any are waiting ends those whose slot has passed. A Node
// timer per call costs several microseconds of CPU each (nearly every gRPC client sends a
// deadline, each a little different, so each gets a timer list of its own); a slot costs a Set
// insert and delete. A deadline is met up to two resolutions late, which is fine for its job
// on the server: the client keeps its own deadline exactly.

/** What the wheel ends when its deadline passes. */
export interface Expiring {
  expire(): void;
}

export class DeadlineWheel {
  private readonly slots = new Map<number, Set<Expiring>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly resolutionMs = 25,
    private readonly now: () => number = Date.now,
  ) {}

  /** Ends `item` once `deadline` (a now() time) has passed; returns its slot, for remove(). */
  add(item: Expiring, deadline: number): number {
    const slot = Math.ceil(deadline / this.resolutionMs);
    let members = this.slots.get(slot);
    if (members === undefined) {
      members = new Set();
      this.slots.set(slot, members);
    }
    members.add(item);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), this.resolutionMs);
      this.timer.unref();
    }
    return slot;
  }

  /** Forgets an item that ended before its deadline. */
  remove(item: Expiring, slot: number): void {
    const members = this.slots.get(slot);
    if (members === undefined) return;
    members.delete(item);
    if (members.size === 0) this.slots.delete(slot);
  }

  get waiting(): number {
    let n = 0;
    for (const members of this.slots.values()) n += members.size;
    return n;
  }

  /** Ends every item whose slot has passed; stops the timer once none waits. */
  sweep(): void {
    const current = Math.floor(this.now() / this.resolutionMs);
    for (const [slot, members] of this.slots) {
      if (slot > current) continue;
      this.slots.delete(slot);
      for (const item of members) item.expire();
    }
    if (this.slots.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
