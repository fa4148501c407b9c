// How the property-based tests run: seeded, so a failure replays. `npm test` runs a few hundred
// cases per property; `npm run fuzz:h2` (FUZZ_RUNS) many more. fast-check prints the seed and
// path of a failure; FUZZ_SEED and FUZZ_PATH replay exactly that case.
import type { Parameters } from 'fast-check';

export function fuzzParameters<T>(defaultRuns = 300): Parameters<T> {
  const seed = Number(process.env.FUZZ_SEED ?? 20_261_207);
  const numRuns = Number(process.env.FUZZ_RUNS ?? defaultRuns);
  const path = process.env.FUZZ_PATH;
  return path === undefined ? { seed, numRuns } : { seed, numRuns, path };
}
