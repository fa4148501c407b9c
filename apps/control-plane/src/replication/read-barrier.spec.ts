import { RaftNodeError } from '@flotilla/raft-node';
import { ReadBarrier, ReadBarrierObserver, ReadIndexSource } from './read-barrier';

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
  it("waits for the driver's barrier with the caller's deadline and reports the wait", async () => {
    let now = 10;
    const timeouts: number[] = [];
    const source: ReadIndexSource = {
      readBarrier: async (timeoutMs) => {
        timeouts.push(timeoutMs);
        now += 250;
      },
    };
    const recorder = new Recorder();
    await new ReadBarrier(source, { timeoutMs: 1000, observer: recorder, now: () => now }).wait();
    expect(timeouts).toEqual([1000]);
    expect(recorder.servedSeconds).toEqual([0.25]);
    expect(recorder.failures).toBe(0);
  });

  it("passes the driver's failure on and counts it", async () => {
    const source: ReadIndexSource = {
      readBarrier: () => Promise.reject(new RaftNodeError('timeout', 'raft: read index timed out')),
    };
    const recorder = new Recorder();
    await expect(
      new ReadBarrier(source, { timeoutMs: 1000, observer: recorder }).wait(),
    ).rejects.toThrow(/timed out/);
    expect(recorder.failures).toBe(1);
    expect(recorder.servedSeconds).toEqual([]);
  });
});
