// Call deadlines (grpc-timeout) on one timer for the whole server: calls sit in slots of
// `resolutionMs`, and a sweep while any are waiting ends those whose slot has passed. A Node
// timer per call costs several microseconds of CPU each (nearly every gRPC client sends a
// deadline, each a little different, so each gets a timer list of its own); a slot is a
// doubly linked list threaded through the calls themselves, so adding and removing one
// allocates nothing. A deadline is met up to two resolutions late, which is fine for its job on
// the server: the client keeps its own deadline exactly.

/** What the wheel ends when its deadline passes; the links are the wheel's to manage. */
export interface Expiring {
  expire(): void;
  wheelPrev: Expiring | WheelSlot | undefined;
  wheelNext: Expiring | WheelSlot | undefined;
  wheelSlot: WheelSlot | undefined;
}

/** The head of one slot's ring of items. */
export class WheelSlot {
  wheelPrev: Expiring | WheelSlot = this;
  wheelNext: Expiring | WheelSlot = this;
  constructor(readonly index: number) {}
}

export class DeadlineWheel {
  private readonly slots = new Map<number, WheelSlot>();
  private timer: NodeJS.Timeout | undefined;
  private count = 0;

  constructor(
    private readonly resolutionMs = 25,
    private readonly now: () => number = Date.now,
  ) {}

  /** Ends `item` once `deadline` (a now() time) has passed, unless it is removed first. */
  add(item: Expiring, deadline: number): void {
    const index = Math.ceil(deadline / this.resolutionMs);
    let slot = this.slots.get(index);
    if (slot === undefined) {
      slot = new WheelSlot(index);
      this.slots.set(index, slot);
    }
    const last = slot.wheelPrev;
    item.wheelPrev = last;
    item.wheelNext = slot;
    item.wheelSlot = slot;
    last.wheelNext = item;
    slot.wheelPrev = item;
    this.count++;
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), this.resolutionMs);
      this.timer.unref();
    }
  }

  /** Forgets an item that ended before its deadline (nothing happens if it is not waiting). */
  remove(item: Expiring): void {
    const slot = item.wheelSlot;
    if (slot === undefined) return;
    item.wheelPrev!.wheelNext = item.wheelNext!;
    item.wheelNext!.wheelPrev = item.wheelPrev!;
    item.wheelPrev = item.wheelNext = item.wheelSlot = undefined;
    // An emptied slot stays until the sweep passes it: calls that end at once would otherwise
    // make and drop a slot each.
    this.count--;
  }

  get waiting(): number {
    return this.count;
  }

  /** Ends every item whose slot has passed; stops the timer once none waits. */
  sweep(): void {
    const current = Math.floor(this.now() / this.resolutionMs);
    for (const slot of [...this.slots.values()]) {
      if (slot.index > current) continue;
      this.slots.delete(slot.index);
      for (let item = slot.wheelNext; item !== slot; item = slot.wheelNext) {
        const expiring = item as Expiring;
        this.remove(expiring);
        expiring.expire();
      }
    }
    if (this.count === 0 && this.timer !== undefined) {
      this.slots.clear();
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
