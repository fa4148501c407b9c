import { checkKvHistory, kvCall, kvResult, type KvInput, type KvOperation, type KvOutput } from '.';

// Hand-written histories. Times are positions in the event order; each line is one operation:
// op(client, input, output, call, return) or pending(client, input, call).
function op(
  client: number,
  input: KvInput,
  output: KvOutput,
  call: number,
  ret: number,
): KvOperation {
  return { client, input, output, call, ret };
}

function pending(client: number, input: KvInput, call: number): KvOperation {
  return { client, input, call };
}

const { put, get, cas } = kvCall;
const ok = kvResult.ok();
const read = kvResult.value;
const applied = kvResult.cas(true);
const notApplied = kvResult.cas(false);

describe('key-value histories that are not linearizable', () => {
  it('rejects a stale read after a completed write', () => {
    const result = checkKvHistory([
      op(1, put('x', 'a'), ok, 0, 1),
      op(1, put('x', 'b'), ok, 2, 3),
      op(2, get('x'), read('a'), 4, 5),
    ]);
    expect(result).toMatchObject({ ok: false, status: 'not-linearizable', key: 'x' });
  });

  it('rejects two reads that observe values in an order contradicting real time', () => {
    const result = checkKvHistory([
      op(1, put('x', 'a'), ok, 0, 1),
      op(1, put('x', 'b'), ok, 2, 10),
      op(2, get('x'), read('b'), 3, 4),
      op(3, get('x'), read('a'), 5, 6),
    ]);
    expect(result.status).toBe('not-linearizable');
  });

  it('rejects a read of a value never written', () => {
    const result = checkKvHistory([
      op(1, put('x', 'a'), ok, 0, 3),
      op(2, get('x'), read('zzz'), 1, 2),
    ]);
    expect(result.status).toBe('not-linearizable');
  });

  it('rejects a read of an absent key that returns a value', () => {
    expect(checkKvHistory([op(1, get('x'), read('a'), 0, 1)]).status).toBe('not-linearizable');
  });

  it('rejects a lost update: two successful cas from the same expected value', () => {
    const result = checkKvHistory([
      op(1, put('x', '0'), ok, 0, 1),
      op(2, cas('x', '0', '1'), applied, 2, 5),
      op(3, cas('x', '0', '2'), applied, 3, 6),
    ]);
    expect(result.status).toBe('not-linearizable');
  });

  it('rejects a read that sees a write called after the read returned', () => {
    const result = checkKvHistory([
      op(1, get('x'), read('a'), 0, 1),
      op(2, put('x', 'a'), ok, 2, 3),
    ]);
    expect(result.status).toBe('not-linearizable');
  });

  it('rejects a pending write that is observed and then un-observed', () => {
    const result = checkKvHistory([
      op(1, put('x', 'old'), ok, 0, 1),
      pending(2, put('x', 'new'), 2),
      op(3, get('x'), read('new'), 3, 4),
      op(3, get('x'), read('old'), 5, 6),
    ]);
    expect(result.status).toBe('not-linearizable');
  });

  it('rejects a read of the old value after a completed delete', () => {
    const result = checkKvHistory([
      op(1, put('x', 'a'), ok, 0, 1),
      op(1, kvCall.delete('x'), ok, 2, 3),
      op(2, get('x'), read('a'), 4, 5),
    ]);
    expect(result.status).toBe('not-linearizable');
  });

  it('rejects a failed cas whose expected value was certainly current', () => {
    const result = checkKvHistory([
      op(1, put('x', 'a'), ok, 0, 1),
      op(2, cas('x', 'a', 'b'), notApplied, 2, 3),
    ]);
    expect(result.status).toBe('not-linearizable');
  });

  it('names the failing key when the other keys are fine', () => {
    const result = checkKvHistory([
      op(1, put('good', 'a'), ok, 0, 1),
      op(2, get('good'), read('a'), 2, 3),
      op(1, put('bad', 'a'), ok, 4, 5),
      op(2, get('bad'), read(undefined), 6, 7),
    ]);
    expect(result).toMatchObject({ ok: false, key: 'bad' });
  });
});

describe('key-value histories that are linearizable', () => {
  it('accepts concurrent writes with reads seeing either order', () => {
    const writes = [op(1, put('x', 'a'), ok, 0, 20), op(2, put('x', 'b'), ok, 0, 20)];
    const aThenB = [op(3, get('x'), read('a'), 1, 2), op(3, get('x'), read('b'), 3, 4)];
    const bThenA = [op(3, get('x'), read('b'), 1, 2), op(3, get('x'), read('a'), 3, 4)];
    expect(checkKvHistory([...writes, ...aThenB]).ok).toBe(true);
    expect(checkKvHistory([...writes, ...bThenA]).ok).toBe(true);
    expect(checkKvHistory([...writes, op(3, get('x'), read('a'), 21, 22)]).ok).toBe(true);
    expect(checkKvHistory([...writes, op(3, get('x'), read('b'), 21, 22)]).ok).toBe(true);
  });

  it('accepts a pending write that takes effect long after its call', () => {
    const result = checkKvHistory([
      pending(1, put('x', 'late'), 0),
      op(2, get('x'), read(undefined), 1, 2),
      op(2, get('x'), read(undefined), 50, 51),
      op(2, get('x'), read('late'), 100, 101),
      op(2, get('x'), read('late'), 102, 103),
    ]);
    expect(result.ok).toBe(true);
  });

  it('accepts a pending write that never takes effect', () => {
    const result = checkKvHistory([
      op(1, put('x', 'a'), ok, 0, 1),
      pending(2, put('x', 'lost'), 2),
      pending(3, cas('x', 'a', 'lost-too'), 3),
      op(4, get('x'), read('a'), 4, 5),
      op(4, get('x'), read('a'), 100, 101),
    ]);
    expect(result.ok).toBe(true);
  });

  it('drops pending reads: they constrain nothing', () => {
    const result = checkKvHistory([pending(1, get('x'), 0), op(2, put('x', 'a'), ok, 1, 2)]);
    expect(result).toMatchObject({ ok: true, stats: { operations: 1 } });
  });

  it('accepts a cas chain with a concurrent loser', () => {
    const result = checkKvHistory([
      op(1, put('x', '0'), ok, 0, 1),
      op(1, cas('x', '0', '1'), applied, 2, 3),
      op(2, cas('x', '1', '2'), applied, 4, 8),
      op(3, cas('x', '1', '3'), notApplied, 5, 9),
      op(1, cas('x', undefined, '4'), notApplied, 10, 11),
      op(1, get('x'), read('2'), 12, 13),
      op(1, kvCall.delete('x'), ok, 14, 15),
      op(1, cas('x', undefined, '5'), applied, 16, 17),
      op(1, get('x'), read('5'), 18, 19),
    ]);
    expect(result.ok).toBe(true);
  });

  it('treats a return and a call at the same position as concurrent', () => {
    // The get may take effect before the put: equal positions carry no order.
    const touching = [op(1, put('x', 'a'), ok, 0, 5), op(2, get('x'), read(undefined), 5, 6)];
    const ordered = [op(1, put('x', 'a'), ok, 0, 5), op(2, get('x'), read(undefined), 6, 7)];
    expect(checkKvHistory(touching).ok).toBe(true);
    expect(checkKvHistory(ordered).ok).toBe(false);
  });

  it('accepts an empty history and a history of only pending operations', () => {
    expect(checkKvHistory([]).ok).toBe(true);
    expect(checkKvHistory([pending(1, put('x', 'a'), 0), pending(2, get('x'), 1)]).ok).toBe(true);
  });
});

describe('failure explanations', () => {
  it('prints the longest linearizable prefix and the operations that could not go next', () => {
    const history = [
      op(1, put('x', 'a'), ok, 0, 1),
      op(1, put('x', 'b'), ok, 2, 3),
      op(2, get('x'), read('a'), 4, 5),
      op(2, get('x'), read('b'), 6, 7),
    ];
    const result = checkKvHistory(history);
    if (result.status !== 'not-linearizable')
      throw new Error(`expected a failure: ${result.status}`);

    expect(result.witness.linearized).toEqual([history[0], history[1]]);
    expect(result.witness.state).toBe('"b"');
    expect(result.witness.deadline).toBe(history[2]);
    expect(result.witness.candidates).toEqual([{ operation: history[2], reason: 'rejected' }]);
    expect(result.explanation).toBe(
      [
        'not linearizable: key "x"',
        'longest linearizable prefix found: 2 of 4 operations:',
        '  #0 client 1: put("x", "a") -> ok  [called t=0, returned t=1]',
        '  #1 client 1: put("x", "b") -> ok  [called t=2, returned t=3]',
        '  state after it: "b"',
        'no operation can be linearized next, yet #2 returned at t=5 and so must already have ' +
          'taken effect; candidates:',
        '  #2 client 2: get("x") -> "a"  [called t=4, returned t=5]  <- rejected in state "b"',
      ].join('\n'),
    );
  });

  it('prints ticks when the operations carry them, and marks pending operations', () => {
    const history: KvOperation[] = [
      { client: 'c1', input: put('x', 'new'), call: 0, callTick: 7 },
      {
        client: 'c2',
        input: get('x'),
        output: read('new'),
        call: 1,
        ret: 2,
        callTick: 8,
        returnTick: 9,
      },
      {
        client: 'c2',
        input: get('x'),
        output: read(undefined),
        call: 3,
        ret: 4,
        callTick: 10,
        returnTick: 11,
      },
    ];
    const result = checkKvHistory(history);
    if (result.status !== 'not-linearizable')
      throw new Error(`expected a failure: ${result.status}`);
    expect(result.explanation).toContain(
      '#0 client c1: put("x", "new") -> ?  [called t=7, never returned]',
    );
    expect(result.explanation).toContain(
      '#2 client c2: get("x") -> (absent)  [called t=10, returned t=11]',
    );
  });
});

describe('malformed histories', () => {
  it('throws on a return before its call', () => {
    expect(() => checkKvHistory([op(1, put('x', 'a'), ok, 5, 4)])).toThrow(/before its call/);
  });

  it('throws on an output that does not match its operation', () => {
    expect(() => checkKvHistory([op(1, get('x'), ok, 0, 1)])).toThrow(
      'get on "x" returned a result of kind ok, expected value',
    );
  });

  it('throws on a non-finite position', () => {
    expect(() => checkKvHistory([op(1, get('x'), read(undefined), Number.NaN, 1)])).toThrow(
      /finite/,
    );
  });
});
