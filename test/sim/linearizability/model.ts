// The vocabulary shared by the checker and the models it checks against.

/**
 * One client operation as observed from outside the system.
 *
 * `call` and `ret` are positions in one total order of events (the recorder hands out a global
 * sequence number per event). Equal positions are allowed and read conservatively: a call and a
 * return at the same position count as concurrent, so ticks can be used directly when events carry
 * no finer order.
 */
export interface Operation<Input, Output> {
  /** Who issued it; only used in messages. */
  readonly client: string | number;
  readonly input: Input;
  /** Position of the call event in the history's order of events. */
  readonly call: number;
  /** Position of the return event; undefined when the operation never returned (pending). */
  readonly ret?: number;
  /** What the client observed; ignored for a pending operation. */
  readonly output?: Output;
  /** Simulation ticks of the call and return, for messages only (default: call / ret). */
  readonly callTick?: number;
  readonly returnTick?: number;
}

export interface StepResult<State> {
  readonly ok: boolean;
  readonly next: State;
}

export interface Partition<Input, Output> {
  /** Names the partition in results, e.g. the key of a key-value history. */
  readonly key: string;
  readonly operations: readonly Operation<Input, Output>[];
}

/**
 * A sequential specification. States are treated as immutable values: `step` returns a new state
 * and never changes the one it was given, because the search keeps earlier states to backtrack.
 */
export interface Model<State, Input, Output> {
  init(): State;
  /**
   * Applies one operation to a state. `output` is undefined for an operation that never returned:
   * the model then accepts it when it could have taken effect and returns that effect.
   */
  step(state: State, input: Input, output: Output | undefined): StepResult<State>;
  equal(a: State, b: State): boolean;
  /** A 32-bit hash consistent with `equal`. */
  hash(state: State): number;
  /**
   * Splits a history into independent sub-histories (P-compositionality): the whole history is
   * linearizable iff every part is. Without it the history is checked as one part.
   */
  partition?(operations: readonly Operation<Input, Output>[]): readonly Partition<Input, Output>[];
  /** True for inputs that never change the state; pending ones are dropped before the search. */
  isReadOnly?(input: Input): boolean;
  /** A message when an input and output do not belong together (a malformed history). */
  validate?(input: Input, output: Output | undefined): string | undefined;
  /** One operation for messages, e.g. `put(k, "v") -> ok`; output undefined means pending. */
  describe(input: Input, output: Output | undefined): string;
  describeState?(state: State): string;
}

export interface CheckStats {
  /** Operations checked (pending read-only operations are dropped and not counted). */
  readonly operations: number;
  readonly partitions: number;
  /** Model steps taken over all partitions: the unit of the search budget. */
  readonly steps: number;
}

/** Why the search got stuck, for a human reading a failed seed. */
export interface Witness<Input, Output> {
  /** The longest linearizable prefix of the partition the search found, in linearization order. */
  readonly linearized: readonly Operation<Input, Output>[];
  /** The model state after that prefix, as `describeState` prints it. */
  readonly state: string;
  /** The not-yet-linearized operation that returns first: something must be placed before it. */
  readonly deadline: Operation<Input, Output> | undefined;
  /** Every operation that could have been placed next, and why each of them was not. */
  readonly candidates: readonly BlockedOperation<Input, Output>[];
}

export interface BlockedOperation<Input, Output> {
  readonly operation: Operation<Input, Output>;
  /** `rejected`: the model refuses it in that state; `dead-end`: accepted, but nothing after works. */
  readonly reason: 'rejected' | 'dead-end';
}

export type CheckResult<Input, Output> =
  | { readonly ok: true; readonly status: 'linearizable'; readonly stats: CheckStats }
  | {
      readonly ok: false;
      readonly status: 'not-linearizable';
      readonly key: string;
      readonly explanation: string;
      readonly witness: Witness<Input, Output>;
      readonly stats: CheckStats;
    }
  | {
      // Deliberately ok: false, so a run that ran out of budget never reads as a pass.
      readonly ok: false;
      readonly status: 'unknown';
      readonly key: string;
      readonly explanation: string;
      readonly stats: CheckStats;
    };

export interface CheckOptions {
  /** Model steps allowed per partition before the answer is `unknown` (default 5,000,000). */
  readonly maxSteps?: number;
  /** How many operations of the linearized prefix an explanation prints (default 20, the last ones). */
  readonly explainPrefix?: number;
}
