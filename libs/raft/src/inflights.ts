/**
 * The window of append messages in flight to one follower, by the last index each carried.
 * Bounded so a slow follower cannot make the leader queue without limit.
 */
export class Inflights {
  private readonly lasts: number[] = [];

  constructor(readonly capacity: number) {}

  get count(): number {
    return this.lasts.length;
  }

  full(): boolean {
    return this.lasts.length >= this.capacity;
  }

  add(lastIndex: number): void {
    if (this.full()) throw new Error('inflights: window is full');
    this.lasts.push(lastIndex);
  }

  /** Frees every message whose entries are all acknowledged by an ack of `index`. */
  freeUpTo(index: number): void {
    let n = 0;
    while (n < this.lasts.length && this.lasts[n] <= index) n++;
    if (n > 0) this.lasts.splice(0, n);
  }

  freeFirst(): void {
    this.lasts.shift();
  }

  reset(): void {
    this.lasts.length = 0;
  }
}
