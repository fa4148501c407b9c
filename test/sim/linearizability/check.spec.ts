import { checkOperations, hashString, WHOLE_HISTORY, type Model, type Operation } from '.';

// The generic core against a model other than the key-value one: a FIFO queue, which cannot be
// partitioned, to show the checker depends only on the Model interface.
type QueueInput = { kind: 'enqueue'; value: number } | { kind: 'dequeue' };
type QueueOutput = { value: number | undefined };
type QueueState = readonly number[];

const queueModel: Model<QueueState, QueueInput, QueueOutput> = {
  init: () => [],
  step(state, input, output) {
    if (input.kind === 'enqueue') return { ok: true, next: [...state, input.value] };
    const next = state.slice(1);
    return { ok: output === undefined || output.value === state[0], next };
  },
  equal: (a, b) => a.length === b.length && a.every((value, i) => value === b[i]),
  hash: (state) => hashString(state.join(',')),
  describe: (input, output) =>
    input.kind === 'enqueue'
      ? `enqueue(${input.value})`
      : `dequeue() -> ${output === undefined ? '?' : String(output.value)}`,
};

type QueueOp = Operation<QueueInput, QueueOutput>;
const enqueue = (value: number, call: number, ret?: number): QueueOp => ({
  client: 0,
  input: { kind: 'enqueue', value },
  output: { value: undefined },
  call,
  ret,
});
const dequeue = (value: number | undefined, call: number, ret: number): QueueOp => ({
  client: 1,
  input: { kind: 'dequeue' },
  output: { value },
  call,
  ret,
});

describe('checkOperations with a model that does not partition', () => {
  it('accepts a queue history whose concurrent enqueues are dequeued in either order', () => {
    const history = [enqueue(1, 0, 10), enqueue(2, 1, 10), dequeue(2, 11, 12), dequeue(1, 13, 14)];
    expect(checkOperations(queueModel, history)).toMatchObject({
      ok: true,
      stats: { operations: 4, partitions: 1 },
    });
  });

  it('rejects a queue that reorders sequential enqueues, reporting the whole history as the key', () => {
    const history = [enqueue(1, 0, 1), enqueue(2, 2, 3), dequeue(2, 4, 5)];
    const result = checkOperations(queueModel, history);
    expect(result).toMatchObject({ ok: false, status: 'not-linearizable', key: WHOLE_HISTORY });
  });

  it('lets a pending enqueue take effect later', () => {
    const history = [enqueue(7, 0), dequeue(undefined, 1, 2), dequeue(7, 3, 4)];
    expect(checkOperations(queueModel, history).ok).toBe(true);
  });
});

describe('the search budget', () => {
  // Many concurrent enqueues, then a dequeue of a value nobody enqueued: proving that takes the
  // search through every order of the enqueues, far more than a tiny budget allows.
  const concurrent = Array.from({ length: 12 }, (_, i) => enqueue(i, 0, 100));
  const impossible = [...concurrent, dequeue(99, 101, 102)];

  it('answers unknown, not ok, when the budget runs out', () => {
    const result = checkOperations(queueModel, impossible, { maxSteps: 1000 });
    expect(result).toMatchObject({ ok: false, status: 'unknown', key: WHOLE_HISTORY });
    expect(result.stats.steps).toBe(1000);
    if (result.status !== 'unknown') throw new Error('expected unknown');
    expect(result.explanation).toMatch(/needs more than 1000 model steps \(13 operations\)/);
  });

  it('prefers a definite failure in another partition over an exhausted one', () => {
    const keyed: Model<QueueState, QueueInput, QueueOutput> = {
      ...queueModel,
      partition: (ops) => [
        { key: 'hard', operations: ops.slice(0, 13) },
        { key: 'broken', operations: ops.slice(13) },
      ],
    };
    const history = [...impossible, dequeue(5, 200, 201)];
    const result = checkOperations(keyed, history, { maxSteps: 1000 });
    expect(result).toMatchObject({ ok: false, status: 'not-linearizable', key: 'broken' });
  });

  it('rejects a non-positive budget', () => {
    expect(() => checkOperations(queueModel, [], { maxSteps: 0 })).toThrow(/maxSteps/);
  });
});
