import { RaftNodeError } from '@flotilla/raft-node';
import { ReadBarrierGate, ReadBarrierObserver } from './read-barrier-gate';

/** A driver barrier the test ends by hand; every call is recorded. */
class ManualBarrier {
  readonly calls: { resolve: () => void; reject: (e: Error) => void; timeoutMs: number }[] = [];
  readonly fn = (timeoutMs: number): Promise<void> =>
    new Promise((resolve, reject) => this.calls.push({ resolve, reject, timeoutMs }));
}

class Recorder implements ReadBarrierObserver {
  readonly servedSeconds: number[] = [];
  failures = 0;
  served(seconds: number): void {
    this.servedSeconds.push(seconds);
  }
  failed(): void {
    this.failures++;
  }
}

/** Tracks a promise's outcome without awaiting it. */
function track(p: Promise<void>): { state: 'pending' | 'resolved' | 'rejected'; error?: Error } {
  const t: { state: 'pending' | 'resolved' | 'rejected'; error?: Error } = { state: 'pending' };
  p.then(
    () => (t.state = 'resolved'),
    (e: Error) => {
      t.state = 'rejected';
      t.error = e;
    },
  );
  return t;
}

const flush = () => new Promise((r) => setImmediate(r));

describe('ReadBarrierGate', () => {
  afterEach(() => jest.useRealTimers());

  it('serves callers that arrive during a barrier only with the next one', async () => {
    const barrier = new ManualBarrier();
    const gate = new ReadBarrierGate(barrier.fn, { timeoutMs: 5000 });
    const first = track(gate.wait());
    const second = track(gate.wait());
    const third = track(gate.wait());
    expect(barrier.calls).toHaveLength(1);

    barrier.calls[0].resolve();
    await flush();
    expect(first.state).toBe('resolved');
    // The barrier in flight began before they did: it proves nothing about their writes.
    expect(second.state).toBe('pending');
    expect(third.state).toBe('pending');
    expect(barrier.calls).toHaveLength(2);

    barrier.calls[1].resolve();
    await flush();
    expect([second.state, third.state]).toEqual(['resolved', 'resolved']);
    expect(barrier.calls).toHaveLength(2);
  });

  it('gives each caller the failure of its barrier and counts it once', async () => {
    const barrier = new ManualBarrier();
    const recorder = new Recorder();
    const gate = new ReadBarrierGate(barrier.fn, { timeoutMs: 5000, observer: recorder });
    const a = track(gate.wait());
    barrier.calls[0].reject(new RaftNodeError('no-leader', 'raft: no leader'));
    await flush();
    expect(a.state).toBe('rejected');
    expect(a.error?.message).toBe('raft: no leader');
    expect(recorder.failures).toBe(1);

    const b = track(gate.wait());
    expect(barrier.calls).toHaveLength(2);
    barrier.calls[1].resolve();
    await flush();
    expect(b.state).toBe('resolved');
  });

  it('times a caller out on its own clock and never piles up barriers while one hangs', async () => {
    jest.useFakeTimers();
    const barrier = new ManualBarrier();
    const gate = new ReadBarrierGate(barrier.fn, { timeoutMs: 1000 });
    const callers = Array.from({ length: 100 }, () => track(gate.wait()));
    expect(barrier.calls).toHaveLength(1);
    expect(barrier.calls[0].timeoutMs).toBe(1000);

    await jest.advanceTimersByTimeAsync(1000);
    expect(callers.every((c) => c.state === 'rejected')).toBe(true);
    expect(callers[0].error).toBeInstanceOf(RaftNodeError);
    expect((callers[0].error as RaftNodeError).code).toBe('timeout');
    // The hung barrier is still the only one; callers that gave up start nothing after it.
    barrier.calls[0].reject(new Error('late'));
    await jest.advanceTimersByTimeAsync(0);
    expect(barrier.calls).toHaveLength(1);
    expect(gate.waiting).toBe(0);
  });

  it('reports how long each served caller waited', async () => {
    let now = 0;
    const barrier = new ManualBarrier();
    const recorder = new Recorder();
    const gate = new ReadBarrierGate(barrier.fn, {
      timeoutMs: 5000,
      observer: recorder,
      now: () => now,
    });
    const done = gate.wait();
    now = 250;
    barrier.calls[0].resolve();
    await done;
    expect(recorder.servedSeconds).toEqual([0.25]);
    expect(recorder.failures).toBe(0);
  });
});
