import { Inflights } from './inflights';
import { Snapshot } from './types';

/**
 * How the leader replicates to one follower:
 * - probe: one append at a time until the follower's match point is found;
 * - replicate: optimistic pipelining, bounded by the in-flight window;
 * - snapshot: the follower is behind the compacted log and receives a snapshot in chunks.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an append was sent and is unanswered. */
  probeSent = false;
  /** Heard from within the current election timeout (check-quorum). */
  recentActive = false;
  readonly inflights: Inflights;
  /** In snapshot state: the snapshot being streamed and how many bytes the follower confirmed. */
  snapshot: Snapshot | undefined;
  snapshotAcked = 0;
  snapshotIdleTicks = 0;

  constructor(
    next: number,
    maxInflight: number,
    public isLearner: boolean,
  ) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.snapshot?.meta.index ?? 0;
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.next = this.match + 1;
    }
    this.resetState('probe');
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.resetState('replicate');
  }

  becomeSnapshot(snapshot: Snapshot): void {
    this.resetState('snapshot');
    this.snapshot = snapshot;
  }

  /** Records an acknowledgement of `index`; false when it tells nothing new. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * Moves `next` back after a rejection of the append that followed `rejected`;
   * `hintNext` is where the follower's conflict information says to resume.
   * Returns false for a stale rejection, which must be ignored.
   */
  maybeDecrease(rejected: number, hintNext: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hintNext), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /** Accounts for an append carrying entries up to `lastIndex` (or none). */
  sentEntries(lastIndex: number | undefined): void {
    if (this.state === 'replicate') {
      if (lastIndex !== undefined) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  private resetState(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.snapshot = undefined;
    this.snapshotAcked = 0;
    this.snapshotIdleTicks = 0;
    this.inflights.reset();
  }
}
