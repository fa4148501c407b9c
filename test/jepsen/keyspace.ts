/**
 * A few registers under contention, each retired after a fixed number of operations and
 * replaced by a fresh one (Jepsen's "independent" keys). Linearizability is checked per key, so
 * this bounds the size of every search however long the run, while a handful of live keys keeps
 * the contention the checker needs to catch stale reads and lost updates.
 */
export class Keyspace {
  private readonly generation: number[];
  private readonly used: number[];

  constructor(
    private readonly prefix: string,
    readonly slots: number,
    private readonly opsPerKey: number,
  ) {
    if (slots < 1 || opsPerKey < 1) throw new RangeError('slots and opsPerKey must be positive');
    this.generation = new Array<number>(slots).fill(0);
    this.used = new Array<number>(slots).fill(0);
  }

  /** The key for the next operation on a slot; counts it towards that key's retirement. */
  next(slot: number): string {
    const key = this.name(slot);
    if (++this.used[slot] >= this.opsPerKey) {
      this.generation[slot]++;
      this.used[slot] = 0;
    }
    return key;
  }

  private name(slot: number): string {
    return `${this.prefix}${slot}-${this.generation[slot]}`;
  }
}
