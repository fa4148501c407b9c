import type { EventOrder } from './event-order';
import type { BlockedOperation, Model, Operation, Witness } from './model';

/**
 * Rebuilds where the search got stuck: replays the longest prefix it found, then lists every
 * operation that could have come next (called before the earliest pending deadline) and why the
 * model would not take it.
 */
export function buildWitness<State, Input, Output>(
  model: Model<State, Input, Output>,
  operations: readonly Operation<Input, Output>[],
  order: EventOrder,
  prefix: readonly number[],
): Witness<Input, Output> {
  let state = model.init();
  for (const index of prefix) {
    const op = operations[index];
    state = model.step(state, op.input, outputOf(op)).next;
  }

  const placed = new Set(prefix);
  let deadlineIndex = -1;
  operations.forEach((op, index) => {
    if (placed.has(index) || op.ret === undefined) return;
    if (deadlineIndex === -1 || order.returnRank[index] < order.returnRank[deadlineIndex]) {
      deadlineIndex = index;
    }
  });
  const deadlineRank =
    deadlineIndex === -1 ? Number.POSITIVE_INFINITY : order.returnRank[deadlineIndex];

  const candidates: BlockedOperation<Input, Output>[] = [];
  operations.forEach((op, index) => {
    if (placed.has(index) || order.callRank[index] > deadlineRank) return;
    const accepted = model.step(state, op.input, outputOf(op)).ok;
    candidates.push({ operation: op, reason: accepted ? 'dead-end' : 'rejected' });
  });

  return {
    linearized: prefix.map((index) => operations[index]),
    state: describeState(model, state),
    deadline: deadlineIndex === -1 ? undefined : operations[deadlineIndex],
    candidates,
  };
}

export interface ExplainContext<State, Input, Output> {
  readonly model: Model<State, Input, Output>;
  readonly key: string;
  /** Index of each operation in the caller's whole history, so messages can be cross-referenced. */
  readonly historyIndex: (op: Operation<Input, Output>) => number;
  /** Operations in the partition. */
  readonly partitionSize: number;
  readonly prefixLimit: number;
}

export function explainFailure<State, Input, Output>(
  context: ExplainContext<State, Input, Output>,
  witness: Witness<Input, Output>,
): string {
  const lines = [`not linearizable: key ${JSON.stringify(context.key)}`];
  lines.push(...describePrefix(context, witness.linearized));
  lines.push(`  state after it: ${witness.state}`);
  if (witness.deadline === undefined) {
    lines.push('no remaining operation can be linearized next:');
  } else {
    lines.push(
      `no operation can be linearized next, yet ${formatRef(context, witness.deadline)} ` +
        `returned at ${formatTime(witness.deadline.returnTick ?? witness.deadline.ret)} ` +
        'and so must already have taken effect; candidates:',
    );
  }
  for (const { operation, reason } of witness.candidates) {
    const why =
      reason === 'rejected'
        ? `rejected in state ${witness.state}`
        : 'accepted, but no linearization of the rest follows';
    lines.push(`  ${formatOperation(context, operation)}  <- ${why}`);
  }
  return lines.join('\n');
}

export function explainBudgetExceeded<State, Input, Output>(
  context: ExplainContext<State, Input, Output>,
  maxSteps: number,
  prefix: readonly Operation<Input, Output>[],
): string {
  return [
    `unknown: key ${JSON.stringify(context.key)} needs more than ${maxSteps} model steps ` +
      `(${context.partitionSize} operations); raise maxSteps or shorten the history`,
    ...describePrefix(context, prefix),
  ].join('\n');
}

function describePrefix<State, Input, Output>(
  context: ExplainContext<State, Input, Output>,
  prefix: readonly Operation<Input, Output>[],
): string[] {
  const shown = prefix.slice(Math.max(0, prefix.length - context.prefixLimit));
  const header =
    `longest linearizable prefix found: ${prefix.length} of ${context.partitionSize} operations` +
    (shown.length < prefix.length ? ` (last ${shown.length} shown)` : '') +
    (prefix.length > 0 ? ':' : '');
  return [header, ...shown.map((op) => `  ${formatOperation(context, op)}`)];
}

export function formatOperation<State, Input, Output>(
  context: Pick<ExplainContext<State, Input, Output>, 'model' | 'historyIndex'>,
  op: Operation<Input, Output>,
): string {
  const called = formatTime(op.callTick ?? op.call);
  const returned =
    op.ret === undefined ? 'never returned' : `returned ${formatTime(op.returnTick ?? op.ret)}`;
  return (
    `${formatRef(context, op)} client ${String(op.client)}: ` +
    `${context.model.describe(op.input, outputOf(op))}  [called ${called}, ${returned}]`
  );
}

function formatRef<State, Input, Output>(
  context: Pick<ExplainContext<State, Input, Output>, 'historyIndex'>,
  op: Operation<Input, Output>,
): string {
  return `#${context.historyIndex(op)}`;
}

function formatTime(time: number | undefined): string {
  return `t=${time}`;
}

function describeState<State, Input, Output>(
  model: Model<State, Input, Output>,
  state: State,
): string {
  if (model.describeState !== undefined) return model.describeState(state);
  if (state === undefined) return 'undefined';
  try {
    return JSON.stringify(state);
  } catch {
    return String(state); // cycles or bigints: a rough description beats no message
  }
}

function outputOf<Input, Output>(op: Operation<Input, Output>): Output | undefined {
  return op.ret === undefined ? undefined : op.output;
}
