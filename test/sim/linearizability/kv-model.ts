import { checkOperations } from './check';
import { hashString } from './hash';
import type { CheckOptions, CheckResult, Model, Operation, Partition } from './model';

// A linearizable key-value register map: put, get, compare-and-set and delete on string values.
// Every operation touches one key, so a history is checked one key at a time and the model's
// state is just that key's value (undefined when absent).

export type KvValue = string;

export type KvInput =
  | { readonly kind: 'put'; readonly key: string; readonly value: KvValue }
  | { readonly kind: 'get'; readonly key: string }
  | {
      readonly kind: 'cas';
      readonly key: string;
      /** undefined: succeed only if the key is absent. */
      readonly expected: KvValue | undefined;
      readonly next: KvValue;
    }
  | { readonly kind: 'delete'; readonly key: string };

export type KvOutput =
  | { readonly kind: 'ok' }
  | { readonly kind: 'value'; readonly value: KvValue | undefined }
  | { readonly kind: 'cas'; readonly applied: boolean };

export type KvState = KvValue | undefined;
export type KvOperation = Operation<KvInput, KvOutput>;

/** Builders for inputs, so call sites read like the operations they record. */
export const kvCall = {
  put: (key: string, value: KvValue): KvInput => ({ kind: 'put', key, value }),
  get: (key: string): KvInput => ({ kind: 'get', key }),
  cas: (key: string, expected: KvValue | undefined, next: KvValue): KvInput => ({
    kind: 'cas',
    key,
    expected,
    next,
  }),
  delete: (key: string): KvInput => ({ kind: 'delete', key }),
} as const;

/** Builders for outputs. */
export const kvResult = {
  ok: (): KvOutput => ({ kind: 'ok' }),
  value: (value: KvValue | undefined): KvOutput => ({ kind: 'value', value }),
  cas: (applied: boolean): KvOutput => ({ kind: 'cas', applied }),
} as const;

const EXPECTED_OUTPUT: Record<KvInput['kind'], KvOutput['kind']> = {
  put: 'ok',
  delete: 'ok',
  get: 'value',
  cas: 'cas',
};

const ABSENT_HASH = 0x5bd1e995;

export const kvModel: Model<KvState, KvInput, KvOutput> = {
  init: () => undefined,

  step(state, input, output) {
    switch (input.kind) {
      case 'put':
        return { ok: true, next: input.value };
      case 'delete':
        return { ok: true, next: undefined };
      case 'get':
        // A pending get never reaches here (read-only), but accepting it is the honest answer.
        return { ok: output === undefined || valueOf(output) === state, next: state };
      case 'cas': {
        const matches = state === input.expected;
        const next = matches ? input.next : state;
        if (output === undefined) return { ok: true, next };
        return { ok: casApplied(output) === matches, next };
      }
    }
  },

  equal: (a, b) => a === b,
  hash: (state) => (state === undefined ? ABSENT_HASH : hashString(state)),

  partition(operations) {
    const byKey = new Map<string, KvOperation[]>();
    for (const op of operations) {
      const group = byKey.get(op.input.key);
      if (group === undefined) byKey.set(op.input.key, [op]);
      else group.push(op);
    }
    return Array.from(byKey, ([key, ops]): Partition<KvInput, KvOutput> => ({
      key,
      operations: ops,
    }));
  },

  isReadOnly: (input) => input.kind === 'get',

  validate(input, output) {
    if (typeof input?.key !== 'string') return 'key-value input without a string key';
    const expected = EXPECTED_OUTPUT[input.kind];
    if (expected === undefined) return `unknown key-value operation ${String(input.kind)}`;
    if (output !== undefined && output?.kind !== expected) {
      return (
        `${input.kind} on ${JSON.stringify(input.key)} returned a result of kind ` +
        `${String(output?.kind)}, expected ${expected}`
      );
    }
    return undefined;
  },

  describe(input, output) {
    const key = JSON.stringify(input.key);
    const call =
      input.kind === 'put'
        ? `put(${key}, ${showValue(input.value)})`
        : input.kind === 'cas'
          ? `cas(${key}, ${showValue(input.expected)} -> ${showValue(input.next)})`
          : `${input.kind}(${key})`;
    return `${call} -> ${output === undefined ? '?' : showOutput(output)}`;
  },

  describeState: (state) => showValue(state),
};

/** checkOperations with the key-value model. */
export function checkKvHistory(
  history: readonly KvOperation[],
  options?: CheckOptions,
): CheckResult<KvInput, KvOutput> {
  return checkOperations(kvModel, history, options);
}

function valueOf(output: KvOutput): KvValue | undefined {
  return output.kind === 'value' ? output.value : undefined;
}

function casApplied(output: KvOutput): boolean {
  return output.kind === 'cas' && output.applied;
}

function showValue(value: KvValue | undefined): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

function showOutput(output: KvOutput): string {
  switch (output.kind) {
    case 'ok':
      return 'ok';
    case 'value':
      return showValue(output.value);
    case 'cas':
      return output.applied ? 'applied' : 'not applied';
  }
}
