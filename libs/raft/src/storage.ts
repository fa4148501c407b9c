import { ConfState, Entry, HardState, Snapshot } from './types';

/**
 * Thrown by a snapshot's `data` while the application is still producing it (its log was
 * compacted against its own durable state, and the image is made only when a follower needs
 * one). The leader sends nothing then and tries again on the follower's next response.
 */
export class SnapshotUnavailableError extends Error {
  constructor(index: number) {
    super(`raft: the image of snapshot ${index} is being prepared`);
  }
}

/** Whether a snapshot's data can be read now. */
export function snapshotReady(snapshot: Snapshot): boolean {
  try {
    void snapshot.data;
    return true;
  } catch (e) {
    if (e instanceof SnapshotUnavailableError) return false;
    throw e;
  }
}

export class CompactedError extends Error {
  constructor(index: number, first: number) {
    super(`raft: entry ${index} is compacted (log starts at ${first})`);
  }
}

/**
 * The durable log as the core sees it: what the driver has persisted, kept in memory.
 * The driver appends here only after its own disk write is durable, and reloads it from disk
 * on restart; the simulation keeps one per node as that node's "disk".
 */
export class MemoryStorage {
  private snap: Snapshot;
  private ents: Entry[] = [];
  private hard: HardState = { term: 0, vote: '', commit: 0 };

  constructor(initialConf: ConfState = { voters: [], learners: [] }) {
    this.snap = {
      meta: { index: 0, term: 0, conf: cloneConf(initialConf) },
      data: new Uint8Array(0),
    };
  }

  hardState(): HardState {
    return { ...this.hard };
  }

  setHardState(hs: HardState): void {
    this.hard = { ...hs };
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  firstIndex(): number {
    return this.snap.meta.index + 1;
  }

  lastIndex(): number {
    return this.snap.meta.index + this.ents.length;
  }

  /** The term of entry `index`, or undefined when it is compacted away or not yet written. */
  term(index: number): number | undefined {
    const snapIndex = this.snap.meta.index;
    if (index === snapIndex) return this.snap.meta.term;
    if (index < snapIndex || index > this.lastIndex()) return undefined;
    return this.ents[index - snapIndex - 1].term;
  }

  /** Entries [lo, hi), at least one if any, at most `maxBytes` of payload beyond the first. */
  entries(lo: number, hi: number, maxBytes = Infinity): Entry[] {
    if (lo < this.firstIndex()) throw new CompactedError(lo, this.firstIndex());
    if (hi > this.lastIndex() + 1)
      throw new Error(`raft: entries up to ${hi} requested, log ends at ${this.lastIndex()}`);
    const offset = this.snap.meta.index + 1;
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxBytes);
  }

  /** Appends entries, replacing any existing suffix they conflict with. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const kept = entries.filter((e) => e.index >= first);
    if (kept.length === 0) return;
    const start = kept[0].index;
    if (start > this.lastIndex() + 1) {
      throw new Error(`raft: append at ${start} leaves a gap after ${this.lastIndex()}`);
    }
    this.ents.length = start - first;
    for (const e of kept) this.ents.push(e);
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  applySnapshot(snapshot: Snapshot): void {
    if (snapshot.meta.index < this.snap.meta.index) {
      throw new Error(
        `raft: snapshot ${snapshot.meta.index} is older than ${this.snap.meta.index}`,
      );
    }
    this.snap = snapshot;
    this.ents = [];
  }

  /** Records a snapshot the application took at `index` and drops the log up to it. */
  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.meta.index) return this.snap;
    return this.compactTo({ meta: this.snapshotMeta(index, conf), data });
  }

  /** What a snapshot taken at `index` (within the log) records about it. */
  snapshotMeta(index: number, conf: ConfState): Snapshot['meta'] {
    const term = this.term(index);
    if (term === undefined)
      throw new Error(`raft: snapshot at ${index} beyond log end ${this.lastIndex()}`);
    return { index, term, conf: cloneConf(conf) };
  }

  /**
   * Makes `snapshot` (taken by the application at its meta index, which is in the log) the base
   * of the log and drops the entries it covers; the entries after it stay. A snapshot that is
   * not newer than the current one changes nothing.
   */
  compactTo(snapshot: Snapshot): Snapshot {
    const index = snapshot.meta.index;
    if (index < this.snap.meta.index) return this.snap;
    if (index === this.snap.meta.index) {
      // The same snapshot again, e.g. now with its image: it takes the place of the first.
      if (snapshot.meta.term === this.snap.meta.term) this.snap = snapshot;
      return this.snap;
    }
    if (this.term(index) !== snapshot.meta.term)
      throw new Error(`raft: snapshot at ${index} does not match the log`);
    this.ents.splice(0, index - this.snap.meta.index);
    this.snap = snapshot;
    return this.snap;
  }
}

export function cloneConf(conf: ConfState): ConfState {
  const out: ConfState = { voters: [...conf.voters], learners: [...conf.learners] };
  if (conf.addresses) out.addresses = { ...conf.addresses };
  return out;
}

export function entryBytes(e: Entry): number {
  return e.data.byteLength + 24;
}

export function limitSize(entries: Entry[], maxBytes: number): Entry[] {
  if (entries.length <= 1 || maxBytes === Infinity) return entries;
  let size = entryBytes(entries[0]);
  let n = 1;
  while (n < entries.length) {
    size += entryBytes(entries[n]);
    if (size > maxBytes) break;
    n++;
  }
  return n === entries.length ? entries : entries.slice(0, n);
}
