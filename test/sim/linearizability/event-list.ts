import type { EventOrder } from './event-order';

const NONE = -1;

/**
 * The events not yet linearized, as a doubly linked list over the event order (Porcupine's shape
 * of Lowe's just-in-time search). Linearizing an operation lifts its call and return out of the
 * list; backtracking puts them back. Lifts are undone in reverse order, so the unlinked entries
 * still remember their neighbours (dancing links) and both directions are O(1).
 *
 * Entry 0 is a head sentinel; event of rank r is entry r + 1.
 */
export class EventList {
  private readonly nextOf: Int32Array;
  private readonly prevOf: Int32Array;

  constructor(private readonly order: EventOrder) {
    const entries = order.operation.length + 1;
    this.nextOf = new Int32Array(entries);
    this.prevOf = new Int32Array(entries);
    for (let entry = 0; entry < entries; entry++) {
      this.nextOf[entry] = entry + 1 < entries ? entry + 1 : NONE;
      this.prevOf[entry] = entry - 1;
    }
  }

  /** The first entry after the head, or -1 when the list is empty. */
  first(): number {
    return this.nextOf[0];
  }

  next(entry: number): number {
    return this.nextOf[entry];
  }

  isCall(entry: number): boolean {
    return this.order.isCall[entry - 1] === 1;
  }

  operationOf(entry: number): number {
    return this.order.operation[entry - 1];
  }

  /** Removes an operation's call entry and, if it returned, its return entry. */
  lift(callEntry: number): void {
    this.unlink(callEntry);
    const returnEntry = this.returnEntryOf(callEntry);
    if (returnEntry !== NONE) this.unlink(returnEntry);
  }

  /** Undoes the most recent lift that has not been undone yet. */
  unlift(callEntry: number): void {
    const returnEntry = this.returnEntryOf(callEntry);
    if (returnEntry !== NONE) this.relink(returnEntry);
    this.relink(callEntry);
  }

  private returnEntryOf(callEntry: number): number {
    const rank = this.order.returnRank[this.operationOf(callEntry)];
    return rank === NONE ? NONE : rank + 1;
  }

  private unlink(entry: number): void {
    const prev = this.prevOf[entry];
    const next = this.nextOf[entry];
    this.nextOf[prev] = next;
    if (next !== NONE) this.prevOf[next] = prev;
  }

  private relink(entry: number): void {
    const prev = this.prevOf[entry];
    const next = this.nextOf[entry];
    this.nextOf[prev] = entry;
    if (next !== NONE) this.prevOf[next] = entry;
  }
}
