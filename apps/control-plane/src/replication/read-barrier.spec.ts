import { RaftNodeError } from '@flotilla/raft-node';
import { ReadBarrier, ReadBarrierObserver, ReadIndexSource } from './read-barrier';

/** A driver whose barriers the test scripts: each call may ask rounds again, then settles. */
class ScriptedSource implements ReadIndexSource {
  readRetries = 0;
  readonly timeouts: number[] = [];

  constructor(private readonly script: ((source: ScriptedSource) => Promise<void>)[]) {}

  readBarrier(timeoutMs: number): Promise<void> {
    this.timeouts.push(timeoutMs);
    const step = this.script.shift();
    if (!step) throw new Error('more barriers than scripted');
    return step(this);
  }
}

const served = async (): Promise<void> => undefined;
const retriedThenServed = async (s: ScriptedSource): Promise<void> => {
  s.readRetries++;
};

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

describe('ReadBarrier', () => {
  it('takes one driver barrier when the driver asked no round again meanwhile', async () => {
    const source = new ScriptedSource([served]);
    await new ReadBarrier(source, { timeoutMs: 1000 }).wait();
    expect(source.timeouts).toHaveLength(1);
  });

  it('takes the barrier again when a round was asked again while it waited', async () => {
    const source = new ScriptedSource([retriedThenServed, retriedThenServed, served]);
    await new ReadBarrier(source, { timeoutMs: 1000 }).wait();
    expect(source.timeouts).toHaveLength(3);
  });

  it('gives up at its own deadline, however often it is asked again', async () => {
    let now = 0;
    const slowRetry = async (s: ScriptedSource): Promise<void> => {
      now += 400;
      s.readRetries++;
    };
    const source = new ScriptedSource([slowRetry, slowRetry, slowRetry, served]);
    const recorder = new Recorder();
    const barrier = new ReadBarrier(source, {
      timeoutMs: 1000,
      observer: recorder,
      now: () => now,
    });
    const err = await barrier.wait().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RaftNodeError);
    expect((err as RaftNodeError).code).toBe('timeout');
    // Each attempt gets what is left of the caller's time.
    expect(source.timeouts).toEqual([1000, 600, 200]);
    expect(recorder.failures).toBe(1);
  });

  it("passes the driver's failure on and counts it", async () => {
    const source = new ScriptedSource([
      async () => {
        throw new RaftNodeError('stopping', 'raft: member is stopping');
      },
    ]);
    const recorder = new Recorder();
    await expect(
      new ReadBarrier(source, { timeoutMs: 1000, observer: recorder }).wait(),
    ).rejects.toThrow('raft: member is stopping');
    expect(recorder.failures).toBe(1);
    expect(recorder.servedSeconds).toEqual([]);
  });

  it('reports how long the caller waited, retries included', async () => {
    let now = 0;
    const source = new ScriptedSource([
      async (s) => {
        now += 100;
        s.readRetries++;
      },
      async () => {
        now += 150;
      },
    ]);
    const recorder = new Recorder();
    await new ReadBarrier(source, { timeoutMs: 1000, observer: recorder, now: () => now }).wait();
    expect(recorder.servedSeconds).toEqual([0.25]);
  });
});
