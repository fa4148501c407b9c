import { CompactedError, MemoryStorage, limitSize } from './storage';
import { Entry, Snapshot } from './types';

/**
 * The log as the core sees it: the durable part (storage) followed by the part handed to the
 * driver but not yet confirmed durable (unstable). Unstable entries may overlap and replace the
 * tail of storage when a follower truncates a conflicting suffix.
 */
export class RaftLog {
  /** Entries not yet confirmed durable; unstable[i].index === unstableOffset + i. */
  private unstable: Entry[] = [];
  private unstableOffset: number;
  /** A snapshot received from the leader and not yet confirmed durable. */
  unstableSnapshot: Snapshot | undefined;
  committed: number;
  applied: number;
  /** Entries up to this index were handed out for applying and await advance(). */
  applying: number;

  constructor(readonly storage: MemoryStorage) {
    this.unstableOffset = storage.lastIndex() + 1;
    this.committed = storage.hardState().commit;
    this.applied = storage.snapshot().meta.index;
    this.applying = this.applied;
    if (this.committed < this.applied) this.committed = this.applied;
  }

  firstIndex(): number {
    if (this.unstableSnapshot) return this.unstableSnapshot.meta.index + 1;
    return this.storage.firstIndex();
  }

  lastIndex(): number {
    if (this.unstable.length > 0) return this.unstableOffset + this.unstable.length - 1;
    if (this.unstableSnapshot) return this.unstableSnapshot.meta.index;
    return this.storage.lastIndex();
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** The last index the driver has confirmed durable. */
  stableIndex(): number {
    return Math.min(this.unstableOffset - 1, this.storage.lastIndex());
  }

  term(index: number): number | undefined {
    if (index >= this.unstableOffset && this.unstable.length > 0) {
      const e = this.unstable[index - this.unstableOffset];
      if (e) return e.term;
      return undefined;
    }
    if (this.unstableSnapshot) {
      if (index === this.unstableSnapshot.meta.index) return this.unstableSnapshot.meta.term;
      return undefined;
    }
    if (index >= this.unstableOffset) return undefined;
    return this.storage.term(index);
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Entries [lo, lastIndex], bounded in bytes; throws CompactedError below the log start. */
  entriesFrom(lo: number, maxBytes: number): Entry[] {
    return this.slice(lo, this.lastIndex() + 1, maxBytes);
  }

  slice(lo: number, hi: number, maxBytes = Infinity): Entry[] {
    if (lo >= hi) return [];
    if (lo < this.firstIndex()) throw new CompactedError(lo, this.firstIndex());
    const out: Entry[] = [];
    if (lo < this.unstableOffset) {
      out.push(...this.storage.entries(lo, Math.min(hi, this.unstableOffset), maxBytes));
      if (out.length < Math.min(hi, this.unstableOffset) - lo) return out;
    }
    if (hi > this.unstableOffset) {
      const from = Math.max(lo, this.unstableOffset) - this.unstableOffset;
      out.push(...this.unstable.slice(from, hi - this.unstableOffset));
    }
    return limitSize(out, maxBytes);
  }

  /** Is a log ending at (lastIndex, lastTerm) at least as up to date as ours (Raft 5.4.1)? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** Appends new entries at the end, or replacing a conflicting suffix; returns the new last index. */
  append(entries: readonly Entry[]): number {
    if (entries.length === 0) return this.lastIndex();
    const after = entries[0].index - 1;
    if (after < this.committed) {
      throw new Error(
        `raft: refusing to overwrite committed entry ${after + 1} (commit ${this.committed})`,
      );
    }
    if (after + 1 === this.unstableOffset + this.unstable.length) {
      this.unstable.push(...entries);
    } else if (after + 1 <= this.unstableOffset) {
      // Replaces entries the driver already holds: the driver truncates them when it persists.
      this.unstableOffset = after + 1;
      this.unstable = [...entries];
    } else {
      this.unstable = this.unstable.slice(0, after + 1 - this.unstableOffset).concat(entries);
    }
    return this.lastIndex();
  }

  /**
   * The follower side of AppendEntries: if our log holds (prevIndex, prevTerm), appends what is
   * new in `entries` and advances commit; returns the last index known to match, or undefined.
   */
  maybeAppend(
    prevIndex: number,
    prevTerm: number,
    commit: number,
    entries: readonly Entry[],
  ): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== undefined) {
      this.append(entries.slice(conflict - entries[0].index));
    }
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  /** The first index among `entries` that is missing or differs in term from our log. */
  private findConflict(entries: readonly Entry[]): number | undefined {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return undefined;
  }

  /** The first index of the term of entry `index`, looking back no further than the log start. */
  firstIndexOfTerm(index: number): number {
    const term = this.term(index);
    let i = index;
    const floor = Math.max(this.firstIndex(), this.committed + 1);
    while (i - 1 >= floor && this.term(i - 1) === term) i--;
    return i;
  }

  /** The last index in our log whose term is `term`, at or below `from`; undefined if none. */
  lastIndexOfTerm(term: number, from: number): number | undefined {
    for (let i = Math.min(from, this.lastIndex()); i >= this.firstIndex() - 1; i--) {
      const t = this.term(i);
      if (t === undefined || t < term) return undefined;
      if (t === term) return i;
    }
    return undefined;
  }

  commitTo(index: number): void {
    if (index > this.committed) {
      if (index > this.lastIndex()) {
        throw new Error(`raft: commit ${index} beyond last index ${this.lastIndex()}`);
      }
      this.committed = index;
    }
  }

  unstableEntries(): Entry[] {
    return this.unstable;
  }

  /** The driver made entries up to (index, term) durable. */
  stableTo(index: number, term: number): void {
    if (this.unstable.length === 0) return;
    // A later append may have replaced what was persisted; only drop what still matches.
    if (index < this.unstableOffset || this.term(index) !== term) return;
    const n = index + 1 - this.unstableOffset;
    this.unstable = this.unstable.slice(n);
    this.unstableOffset = index + 1;
  }

  stableSnapshotTo(index: number): void {
    if (this.unstableSnapshot && this.unstableSnapshot.meta.index === index) {
      this.unstableSnapshot = undefined;
    }
  }

  /** Resets the log to a snapshot from the leader. */
  restore(snapshot: Snapshot): void {
    this.unstableSnapshot = snapshot;
    this.unstable = [];
    this.unstableOffset = snapshot.meta.index + 1;
    this.committed = snapshot.meta.index;
    this.applied = snapshot.meta.index;
    this.applying = snapshot.meta.index;
  }

  /** The snapshot the leader sends to a follower behind the log start. */
  snapshot(): Snapshot {
    return this.unstableSnapshot ?? this.storage.snapshot();
  }
}
