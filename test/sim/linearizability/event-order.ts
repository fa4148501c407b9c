import type { Operation } from './model';

/**
 * The call and return events of a sub-history in one order: by position, calls before returns at
 * equal positions (touching intervals count as concurrent, the conservative reading), then by
 * operation index so the order never depends on the sort's stability. Pending operations have no
 * return event.
 */
export interface EventOrder {
  /** Operation index of each event, in order. */
  readonly operation: Int32Array;
  /** 1 for a call event, 0 for a return event. */
  readonly isCall: Uint8Array;
  /** Rank of each operation's call event. */
  readonly callRank: Int32Array;
  /** Rank of each operation's return event; -1 when pending. */
  readonly returnRank: Int32Array;
}

export function orderEvents(operations: readonly Operation<unknown, unknown>[]): EventOrder {
  const events: { position: number; isCall: boolean; operation: number }[] = [];
  operations.forEach((op, index) => {
    events.push({ position: op.call, isCall: true, operation: index });
    if (op.ret !== undefined) events.push({ position: op.ret, isCall: false, operation: index });
  });
  events.sort(
    (a, b) =>
      a.position - b.position || Number(b.isCall) - Number(a.isCall) || a.operation - b.operation,
  );

  const order: EventOrder = {
    operation: new Int32Array(events.length),
    isCall: new Uint8Array(events.length),
    callRank: new Int32Array(operations.length),
    returnRank: new Int32Array(operations.length).fill(-1),
  };
  events.forEach((event, rank) => {
    order.operation[rank] = event.operation;
    order.isCall[rank] = event.isCall ? 1 : 0;
    if (event.isCall) order.callRank[event.operation] = rank;
    else order.returnRank[event.operation] = rank;
  });
  return order;
}
