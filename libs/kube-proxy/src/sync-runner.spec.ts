import { SyncRunner } from './sync-runner';
import { ManualTimers, flushAsync } from './testing/fake-timers';

function setup(results: boolean[] = []) {
  const timers = new ManualTimers();
  const runs: number[] = [];
  let release: (() => void) | undefined;
  let hold = false;
  const runner = new SyncRunner(
    async () => {
      runs.push(timers.now());
      if (hold) await new Promise<void>((r) => (release = r));
      return results.shift() ?? true;
    },
    { minIntervalMs: 1000, maxIntervalMs: 60_000, retryBaseMs: 500, retryMaxMs: 4000 },
    timers,
  );
  return {
    timers,
    runs,
    runner,
    holdNext: () => (hold = true),
    release: () => {
      hold = false;
      release?.();
    },
  };
}

describe('sync runner', () => {
  it('runs the first request at once and folds a burst into one later sync', async () => {
    const { timers, runs, runner } = setup();
    runner.request();
    await timers.advance(0);
    expect(runs).toEqual([0]);
    for (let i = 0; i < 50; i++) {
      await timers.advance(10);
      runner.request();
    }
    await timers.advance(2000);
    expect(runs).toEqual([0, 1000]);
  });

  it('never runs two syncs at once: a request during a sync runs after it', async () => {
    const { timers, runs, runner, holdNext, release } = setup();
    holdNext();
    runner.request();
    await timers.advance(0);
    runner.request();
    await timers.advance(5000);
    expect(runs).toEqual([0]);
    release();
    await flushAsync();
    await timers.advance(0);
    expect(runs).toEqual([0, 5000]);
  });

  it('retries a failed sync with doubling back-off, and resets after a success', async () => {
    const { timers, runs, runner } = setup([false, false, false, false, false, true]);
    runner.request();
    await timers.advance(20_000);
    // 0, then +1000 (min interval beats 500), +1000, +2000, +4000, +4000 (capped)
    expect(runs).toEqual([0, 1000, 2000, 4000, 8000, 12_000]);
    expect(runner.consecutiveFailures).toBe(0);
  });

  it('a new change during back-off runs at the minimum interval (it may fix the input)', async () => {
    const { timers, runs, runner } = setup([false, false, false, true]);
    runner.request();
    await timers.advance(3500); // runs at 0, 1000, 2000 (failures), next retry due at 4000
    runner.request();
    await timers.advance(0);
    expect(runs).toEqual([0, 1000, 2000, 3500]);
  });

  it('syncs at least every maximum interval', async () => {
    const { timers, runs, runner } = setup();
    runner.request();
    await timers.advance(130_000);
    expect(runs).toEqual([0, 60_000, 120_000]);
  });

  it('requestWithin brings a sync forward but never before the minimum interval', async () => {
    const { timers, runs, runner } = setup();
    runner.request();
    await timers.advance(0);
    runner.requestWithin(200);
    await timers.advance(2000);
    expect(runs).toEqual([0, 1000]);
  });

  it('stop cancels what is scheduled', async () => {
    const { timers, runs, runner } = setup();
    runner.request();
    runner.stop();
    await timers.advance(100_000);
    expect(runs).toEqual([]);
  });
});
