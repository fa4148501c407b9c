import { NodeId } from './types';

export type VoteResult = 'won' | 'lost' | 'pending';

/** The votes a majority of `voters` needs. */
export function majority(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/** Reused by committedIndex, which runs on every acknowledgement. */
let scratch: number[] = new Array<number>(8).fill(0);

/**
 * The highest index that a majority of voters has durably matched.
 * An empty configuration commits nothing: returning Infinity there would hide a bug.
 */
export function committedIndex(voters: readonly NodeId[], match: (id: NodeId) => number): number {
  if (voters.length === 0) return 0;
  // Called on every acknowledgement: an insertion sort (descending) of a handful of numbers,
  // without the closure and array copies of map + sort.
  const acked = scratch.length >= voters.length ? scratch : (scratch = new Array(voters.length));
  for (let i = 0; i < voters.length; i++) {
    const v = match(voters[i]);
    let j = i;
    while (j > 0 && acked[j - 1] < v) {
      acked[j] = acked[j - 1];
      j--;
    }
    acked[j] = v;
  }
  return acked[majority(voters.length) - 1];
}

export function voteResult(
  voters: readonly NodeId[],
  votes: ReadonlyMap<NodeId, boolean>,
): VoteResult {
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  const need = majority(voters.length);
  if (granted >= need) return 'won';
  if (voters.length - rejected < need) return 'lost';
  return 'pending';
}
