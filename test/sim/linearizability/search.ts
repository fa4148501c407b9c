import { OperationSet } from './bitset';
import { EventList } from './event-list';
import type { EventOrder } from './event-order';
import type { Model, Operation } from './model';
import { VisitedConfigurations } from './visited';

export interface SearchOutcome {
  readonly verdict: 'linearizable' | 'not-linearizable' | 'budget-exceeded';
  readonly steps: number;
  /** Operation indices of the longest linearizable prefix seen (only kept when the search fails). */
  readonly longestPrefix: readonly number[];
}

/**
 * Wing & Gong's search with Lowe's improvements, over one sub-history.
 *
 * Walk the list of remaining events from the front. A call entry is a candidate to linearize
 * next; if the model accepts it and the resulting (linearized set, state) pair is new, take it and
 * start again from the front. Reaching a return entry means that operation had to be linearized
 * already and every candidate before it failed: undo the last choice and try the candidate after
 * it. The search succeeds once every operation that returned is linearized (pending operations may
 * be left out: they might never have taken effect), and fails when there is nothing left to undo.
 *
 * Every iteration either takes a model step or undoes one, so `maxSteps` bounds the whole loop.
 */
export function searchLinearization<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  order: EventOrder,
  maxSteps: number,
): SearchOutcome {
  const count = operations.length;
  let unplacedReturned = operations.filter((op) => op.ret !== undefined).length;
  if (unplacedReturned === 0) return { verdict: 'linearizable', steps: 0, longestPrefix: [] };

  const events = new EventList(order);
  const linearized = new OperationSet(count);
  const visited = new VisitedConfigurations<State>(
    (state) => model.hash(state),
    (a, b) => model.equal(a, b),
  );
  const chosenEntries = new Int32Array(count);
  const statesBefore: State[] = new Array<State>(count);
  let depth = 0;
  let longestPrefix: number[] = [];
  let steps = 0;
  let state = model.init();

  // Taken only when the search is about to back out of a deeper point than any seen before, so a
  // history that linearizes straight through never pays for it.
  const rememberIfLongest = (): void => {
    if (depth <= longestPrefix.length) return;
    longestPrefix = Array.from(chosenEntries.subarray(0, depth), (e) => events.operationOf(e));
  };

  let entry = events.first();
  for (;;) {
    if (entry !== -1 && events.isCall(entry)) {
      if (steps >= maxSteps) {
        rememberIfLongest();
        return { verdict: 'budget-exceeded', steps, longestPrefix };
      }
      steps++;
      const index = events.operationOf(entry);
      const op = operations[index];
      const pending = op.ret === undefined;
      const result = model.step(state, op.input, pending ? undefined : op.output);
      if (result.ok) {
        linearized.add(index);
        if (visited.add(linearized, result.next)) {
          chosenEntries[depth] = entry;
          statesBefore[depth] = state;
          depth++;
          state = result.next;
          events.lift(entry);
          if (!pending) unplacedReturned--;
          if (unplacedReturned === 0) return { verdict: 'linearizable', steps, longestPrefix: [] };
          entry = events.first();
          continue;
        }
        linearized.delete(index);
      }
      entry = events.next(entry);
      continue;
    }

    // A return entry (or, defensively, the end of the list): back out of the last choice.
    if (depth === 0) return { verdict: 'not-linearizable', steps, longestPrefix };
    rememberIfLongest();
    depth--;
    const undone = chosenEntries[depth];
    const index = events.operationOf(undone);
    state = statesBefore[depth];
    statesBefore[depth] = undefined as State; // let the garbage collector have it
    linearized.delete(index);
    events.unlift(undone);
    if (operations[index].ret !== undefined) unplacedReturned++;
    entry = events.next(undone);
  }
}
