import { checkKvHistory, HistoryRecorder, kvCall, kvResult, type KvInput, type KvOutput } from '.';

describe('HistoryRecorder', () => {
  it('numbers events in one sequence, keeps ticks, and leaves open calls pending', () => {
    const recorder = new HistoryRecorder<KvInput, KvOutput>();
    const write = recorder.invoke('c1', kvCall.put('x', 'a'), 3);
    const read = recorder.invoke('c2', kvCall.get('x'), 3);
    recorder.complete(write, kvResult.ok(), 4);
    recorder.invoke('c3', kvCall.put('x', 'b'), 4);
    recorder.complete(read, kvResult.value('a'), 5);

    expect(recorder.operations()).toEqual([
      {
        client: 'c1',
        input: kvCall.put('x', 'a'),
        call: 0,
        callTick: 3,
        ret: 2,
        returnTick: 4,
        output: kvResult.ok(),
      },
      {
        client: 'c2',
        input: kvCall.get('x'),
        call: 1,
        callTick: 3,
        ret: 4,
        returnTick: 5,
        output: kvResult.value('a'),
      },
      { client: 'c3', input: kvCall.put('x', 'b'), call: 3, callTick: 4 },
    ]);
    expect(checkKvHistory(recorder.operations()).ok).toBe(true);
  });

  it('leaves discarded calls (definitely not applied) out of the history', () => {
    const recorder = new HistoryRecorder<KvInput, KvOutput>();
    const rejected = recorder.invoke('c1', kvCall.put('x', 'a'), 0);
    recorder.discard(rejected);
    const read = recorder.invoke('c2', kvCall.get('x'), 1);
    recorder.complete(read, kvResult.value(undefined), 2);
    expect(recorder.operations()).toHaveLength(1);
    expect(checkKvHistory(recorder.operations()).ok).toBe(true);
  });

  it('refuses to end an operation twice or one it never started', () => {
    const recorder = new HistoryRecorder<KvInput, KvOutput>();
    const handle = recorder.invoke('c1', kvCall.get('x'), 0);
    recorder.complete(handle, kvResult.value(undefined), 1);
    expect(() => recorder.complete(handle, kvResult.value(undefined), 2)).toThrow(/already ended/);
    expect(() => recorder.discard(handle)).toThrow(/already ended/);
    expect(() => recorder.discard(42)).toThrow(/unknown operation 42/);
  });

  it('bounds a call whose result was never seen at the position where its effect was known', () => {
    const recorder = new HistoryRecorder<KvInput, KvOutput>();
    const lost = recorder.invoke('c1', kvCall.put('x', 'a'), 1);
    const appliedAt = recorder.mark();
    const read = recorder.invoke('c2', kvCall.get('x'), 3);
    recorder.complete(read, kvResult.value(undefined), 4);
    recorder.bound(lost, appliedAt, 2);
    const ops = recorder.operations();
    expect(ops[0]).toMatchObject({ call: 0, ret: 1, returnTick: 2 });
    expect(ops[0].output).toBeUndefined();
    // The put took effect before the read began, so the read must see it.
    expect(checkKvHistory(ops).ok).toBe(false);
    expect(() => recorder.bound(read, appliedAt, 2)).toThrow(/already ended/);
  });
});
