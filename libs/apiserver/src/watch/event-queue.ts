/**
 * A bounded single-consumer queue with an async iterator. Producers never wait: when the
 * consumer falls more than `capacity` items behind, `onOverflow` runs (the watch is ended and
 * the client re-watches from its last resourceVersion, as Kubernetes clients do).
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private head = 0;
  private waiting: ((r: IteratorResult<T>) => void) | undefined;
  private ended = false;

  constructor(
    private readonly capacity: number,
    private readonly onOverflow: () => void,
  ) {}

  get closed(): boolean {
    return this.ended;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
      return;
    }
    if (this.length >= this.capacity) {
      this.onOverflow();
      return;
    }
    this.items.push(item);
  }

  /** No more items after those queued. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.waiting && this.length === 0) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  /** Ends now, dropping what is queued. */
  abort(): void {
    this.items = [];
    this.head = 0;
    this.end();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.items.length) {
      const value = this.items[this.head++];
      if (this.head > 256 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.abort();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
