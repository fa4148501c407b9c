import { createRng } from '../prng';
import { checkKvHistory, kvResult, type KvOperation } from '.';
import { randomKvHistory, type RandomKvHistoryOptions } from './random-kv-history';

// Histories generated from a true sequential execution must pass; the same histories with one
// deliberately corrupted read must fail.
const small: RandomKvHistoryOptions = {
  operations: 300,
  keys: 3,
  clients: 6,
  pendingRate: 0.05,
  maxWiden: 4,
};

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

describe('random histories from a true linearization', () => {
  it.each(SEEDS)('accepts seed %i', (seed) => {
    const history = randomKvHistory(createRng(seed), small);
    expect(checkKvHistory(history)).toMatchObject({ ok: true, status: 'linearizable' });
  });

  it('accepts heavily overlapping intervals with many pending writes', () => {
    const history = randomKvHistory(createRng(99), {
      operations: 400,
      keys: 4,
      clients: 8,
      pendingRate: 0.2,
      maxWiden: 6,
    });
    expect(checkKvHistory(history).ok).toBe(true);
  });

  it('accepts about 5000 operations over 20 keys', () => {
    const history = randomKvHistory(createRng(5000), {
      operations: 5000,
      keys: 20,
      clients: 10,
      pendingRate: 0.05,
      maxWiden: 5,
    });
    const result = checkKvHistory(history);
    expect(result).toMatchObject({ ok: true, stats: { partitions: 20 } });
    expect(result.stats.operations).toBeGreaterThan(4800);
  });
});

describe('random histories with one corrupted read', () => {
  it.each(SEEDS)('rejects seed %i when a read returns a value never written', (seed) => {
    const history = randomKvHistory(createRng(seed), small);
    const victim = completedReads(history)[0];
    const corrupted = replaceOutput(history, victim, 'never-written');
    expect(checkKvHistory(corrupted)).toMatchObject({
      ok: false,
      status: 'not-linearizable',
      key: victim.input.key,
    });
  });

  it.each(SEEDS)('rejects seed %i when a read returns a value written after it', (seed) => {
    const history = randomKvHistory(createRng(seed), small);
    const { read, future } = readWithFutureWrite(history);
    const corrupted = replaceOutput(history, read, future);
    expect(checkKvHistory(corrupted)).toMatchObject({ ok: false, key: read.input.key });
  });
});

function completedReads(history: readonly KvOperation[]): KvOperation[] {
  return history.filter((op) => op.input.kind === 'get' && op.ret !== undefined);
}

function replaceOutput(
  history: readonly KvOperation[],
  victim: KvOperation,
  value: string,
): KvOperation[] {
  return history.map((op) => (op === victim ? { ...op, output: kvResult.value(value) } : op));
}

/** A completed read and a value that only a write called after the read returned produces. */
function readWithFutureWrite(history: readonly KvOperation[]): {
  read: KvOperation;
  future: string;
} {
  for (const read of completedReads(history)) {
    const later = history.find(
      (op) =>
        op.input.key === read.input.key &&
        (op.input.kind === 'put' || op.input.kind === 'cas') &&
        op.call > (read.ret ?? Number.POSITIVE_INFINITY),
    );
    if (later?.input.kind === 'put') return { read, future: later.input.value };
    if (later?.input.kind === 'cas') return { read, future: later.input.next };
  }
  throw new Error('the generated history has no read followed by a write on its key');
}
