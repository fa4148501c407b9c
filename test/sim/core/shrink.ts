import { SimConfig, configForSeed } from './config';
import { SimResult, World } from './world';

/**
 * The shortest run of a failing seed: the world is deterministic, so the same seed with fewer
 * chaos ticks replays a prefix of the same history. Binary search for the fewest ticks that
 * still fail (any failure), within a bounded number of runs.
 */
export function shrinkSteps(
  seed: number,
  overrides: Partial<SimConfig>,
  maxRuns = 12,
): { steps: number; result: SimResult } | undefined {
  const full = configForSeed(seed, overrides);
  let lo = 1;
  let hi = full.steps;
  let best: { steps: number; result: SimResult } | undefined;
  for (let run = 0; run < maxRuns && lo <= hi; run++) {
    const mid = Math.floor((lo + hi) / 2);
    const result = new World(configForSeed(seed, { ...overrides, steps: mid, trace: true })).run();
    if (!result.ok) {
      best = { steps: mid, result };
      hi = mid - 1;
    } else {
      lo = mid + 1;
    }
  }
  return best;
}
