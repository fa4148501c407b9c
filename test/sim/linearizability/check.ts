import { orderEvents } from './event-order';
import {
  buildWitness,
  explainBudgetExceeded,
  explainFailure,
  type ExplainContext,
} from './explain';
import type { CheckOptions, CheckResult, CheckStats, Model, Operation, Partition } from './model';
import { searchLinearization } from './search';

export const DEFAULT_MAX_STEPS = 5_000_000;
const DEFAULT_EXPLAIN_PREFIX = 20;
/** The partition key reported for a model that does not partition its histories. */
export const WHOLE_HISTORY = '*';

/**
 * Decides whether a history is linearizable with respect to a model.
 *
 * Operations that returned must all be placed, each somewhere between its call and its return;
 * pending ones (no `ret`) may be placed anywhere after their call or left out. Operations that
 * failed definitely (known not to have taken effect) must not be in the history at all.
 *
 * Throws on a malformed history (positions not finite, a return before its call, or an output the
 * model's `validate` refuses). Never hangs: past `maxSteps` per partition the answer is `unknown`.
 */
export function checkOperations<State, Input, Output>(
  model: Model<State, Input, Output>,
  history: readonly Operation<Input, Output>[],
  options: CheckOptions = {},
): CheckResult<Input, Output> {
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  if (!(maxSteps > 0)) throw new RangeError(`maxSteps must be positive, got ${maxSteps}`);
  const prefixLimit = options.explainPrefix ?? DEFAULT_EXPLAIN_PREFIX;

  const indexInHistory = new Map<Operation<Input, Output>, number>();
  history.forEach((op, index) => {
    validateOperation(model, op, index);
    indexInHistory.set(op, index);
  });
  const relevant = history.filter((op) => op.ret !== undefined || !model.isReadOnly?.(op.input));
  const partitions: readonly Partition<Input, Output>[] = model.partition
    ? model.partition(relevant)
    : [{ key: WHOLE_HISTORY, operations: relevant }];

  let steps = 0;
  const stats = (): CheckStats => ({
    operations: relevant.length,
    partitions: partitions.length,
    steps,
  });
  let unknown: { key: string; explanation: string } | undefined;

  for (const { key, operations } of partitions) {
    const order = orderEvents(operations);
    const outcome = searchLinearization(model, operations, order, maxSteps);
    steps += outcome.steps;
    if (outcome.verdict === 'linearizable') continue;

    const context: ExplainContext<State, Input, Output> = {
      model,
      key,
      historyIndex: (op) => indexInHistory.get(op) ?? -1,
      partitionSize: operations.length,
      prefixLimit,
    };
    if (outcome.verdict === 'budget-exceeded') {
      // Keep going: a definite failure in a later partition is worth more than this.
      const prefix = outcome.longestPrefix.map((index) => operations[index]);
      unknown ??= { key, explanation: explainBudgetExceeded(context, maxSteps, prefix) };
      continue;
    }
    const witness = buildWitness(model, operations, order, outcome.longestPrefix);
    return {
      ok: false,
      status: 'not-linearizable',
      key,
      explanation: explainFailure(context, witness),
      witness,
      stats: stats(),
    };
  }

  if (unknown !== undefined) return { ok: false, status: 'unknown', ...unknown, stats: stats() };
  return { ok: true, status: 'linearizable', stats: stats() };
}

function validateOperation<State, Input, Output>(
  model: Model<State, Input, Output>,
  op: Operation<Input, Output>,
  index: number,
): void {
  const where = `history[${index}]`;
  if (!Number.isFinite(op.call)) {
    throw new RangeError(`${where}: call position must be a finite number, got ${op.call}`);
  }
  if (op.ret !== undefined) {
    if (!Number.isFinite(op.ret)) {
      throw new RangeError(`${where}: return position must be a finite number, got ${op.ret}`);
    }
    if (op.ret < op.call) {
      throw new RangeError(`${where}: returns at ${op.ret}, before its call at ${op.call}`);
    }
  }
  const problem = model.validate?.(op.input, op.ret === undefined ? undefined : op.output);
  if (problem !== undefined) throw new TypeError(`${where}: ${problem}`);
}
