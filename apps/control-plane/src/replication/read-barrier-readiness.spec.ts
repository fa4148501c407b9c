import { HEALTHY } from '@flotilla/observability';
import { ReadBarrierReadiness } from './read-barrier-readiness';

describe('ReadBarrierReadiness', () => {
  afterEach(() => jest.useRealTimers());

  it('is ready when a read barrier completes', async () => {
    const readiness = new ReadBarrierReadiness({ wait: () => Promise.resolve() }, 1000);
    await expect(readiness.check()).resolves.toEqual(HEALTHY);
  });

  it('is not ready when no barrier completes within the bound', async () => {
    jest.useFakeTimers();
    const readiness = new ReadBarrierReadiness({ wait: () => new Promise(() => undefined) }, 1000);
    const status = readiness.check();
    await jest.advanceTimersByTimeAsync(1000);
    await expect(status).resolves.toEqual({
      ok: false,
      reason: 'no linearizable read barrier within 1000 ms',
    });
  });

  it('is not ready when the barrier fails, and says why', async () => {
    const readiness = new ReadBarrierReadiness(
      { wait: () => Promise.reject(new Error('raft: no leader')) },
      1000,
    );
    await expect(readiness.check()).resolves.toEqual({
      ok: false,
      reason: 'read barrier failed: raft: no leader',
    });
  });

  it('answers a storm of probes with one barrier', async () => {
    jest.useFakeTimers();
    let barriers = 0;
    let release: () => void = () => undefined;
    const gate = {
      wait: () => {
        barriers++;
        return new Promise<void>((resolve) => (release = resolve));
      },
    };
    const readiness = new ReadBarrierReadiness(gate, 1000);
    const answers = Array.from({ length: 50 }, () => readiness.check());
    expect(barriers).toBe(1);
    release();
    expect(await Promise.all(answers)).toEqual(answers.map(() => HEALTHY));
    // The next probe after it asks again.
    void readiness.check();
    expect(barriers).toBe(2);
  });
});
