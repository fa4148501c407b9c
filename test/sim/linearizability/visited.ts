import type { OperationSet } from './bitset';
import { combineHashes } from './hash';

interface Visited<State> {
  readonly words: Uint32Array;
  readonly state: State;
}

/**
 * Lowe's memoization: the (linearized set, model state) configurations already explored. Reaching
 * one again cannot lead anywhere new, because what can still happen depends on nothing else.
 */
export class VisitedConfigurations<State> {
  private readonly buckets = new Map<number, Visited<State>[]>();
  private count = 0;

  constructor(
    private readonly hashState: (state: State) => number,
    private readonly equalStates: (a: State, b: State) => boolean,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Records the configuration; false when it had been seen before. */
  add(linearized: OperationSet, state: State): boolean {
    const key = combineHashes(linearized.hash, this.hashState(state));
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(key, bucket);
    }
    for (const seen of bucket) {
      if (linearized.sameMembers(seen.words) && this.equalStates(seen.state, state)) return false;
    }
    bucket.push({ words: linearized.words.slice(), state });
    this.count++;
    return true;
  }
}
