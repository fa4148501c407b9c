// The history of one key in memory, as etcd's keyIndex: a list of generations, each running from
// a creation to a tombstone (the last generation is the live one, or empty when the key is
// deleted). Revisions only; values stay on disk. Pure.
import { Revision } from './layout';

interface Generation {
  /** Version of the last revision in `revs` (survives compaction, which trims `revs`). */
  ver: number;
  created: Revision;
  revs: Revision[];
}

export interface KeyAt {
  mod: Revision;
  createRevision: number;
  version: number;
}

function emptyGeneration(): Generation {
  return { ver: 0, created: { main: 0, sub: 0 }, revs: [] };
}

export class KeyIndex {
  private generations: Generation[] = [emptyGeneration()];
  /** Lease of the live version (0 when none or deleted); used to detach on overwrite. */
  lease = 0;

  /**
   * `name` is the key as the index holds it (latin1, one char per byte). The index keeps no
   * Buffer: a key decoded from a Raft entry is a view into the entry's memory (or the 8 KiB slab
   * it was copied into), so holding it would keep the whole entry, value included, alive for as
   * long as the key exists.
   */
  constructor(readonly name: string) {}

  /** The key's bytes (built on each call: needed only on the rare paths that delete). */
  get key(): Buffer {
    return Buffer.from(this.name, 'latin1');
  }

  /** The live version, or undefined when the key does not exist now. */
  latest(): KeyAt | undefined {
    const g = this.generations[this.generations.length - 1];
    if (g.revs.length === 0) return undefined;
    return { mod: g.revs[g.revs.length - 1], createRevision: g.created.main, version: g.ver };
  }

  /** Records a put. `createRevision`/`version` are given so a rebuild from disk reproduces them. */
  put(rev: Revision, createRevision: number, version: number, lease: number): void {
    const g = this.generations[this.generations.length - 1];
    if (g.revs.length === 0)
      g.created = { main: createRevision, sub: createRevision === rev.main ? rev.sub : 0 };
    g.revs.push(rev);
    g.ver = version;
    this.lease = lease;
  }

  tombstone(rev: Revision): void {
    const g = this.generations[this.generations.length - 1];
    if (g.revs.length === 0) return;
    g.revs.push(rev);
    g.ver += 1;
    this.generations.push(emptyGeneration());
    this.lease = 0;
  }

  /** The version visible at `atRev`, or undefined when the key did not exist then. */
  get(atRev: number): KeyAt | undefined {
    const last = this.generations.length - 1;
    for (let i = last; i >= 0; i--) {
      const g = this.generations[i];
      if (g.revs.length === 0) continue;
      // A closed generation ends with its tombstone: at or after it, the key is gone.
      if (i !== last && g.revs[g.revs.length - 1].main <= atRev) return undefined;
      if (g.revs[0].main > atRev) continue;
      for (let j = g.revs.length - 1; j >= 0; j--) {
        if (g.revs[j].main <= atRev) {
          return {
            mod: g.revs[j],
            createRevision: g.created.main,
            version: g.ver - (g.revs.length - 1 - j),
          };
        }
      }
    }
    return undefined;
  }

  /** Whether the key exists at `atRev` (get() would answer), without building the answer. */
  existsAt(atRev: number): boolean {
    const last = this.generations.length - 1;
    for (let i = last; i >= 0; i--) {
      const g = this.generations[i];
      if (g.revs.length === 0) continue;
      if (i !== last && g.revs[g.revs.length - 1].main <= atRev) return false;
      // This generation began at or before atRev, so one of its revisions answers.
      if (g.revs[0].main <= atRev) return true;
    }
    return false;
  }

  /**
   * Drops every revision superseded at `atRev` (etcd's keyIndex.compact): keeps, per key, the
   * latest revision <= atRev unless it is a tombstone. Kept revisions <= atRev go to `keep`.
   */
  compact(atRev: number, keep: (rev: Revision) => void): void {
    let genIdx = 0;
    while (genIdx < this.generations.length - 1) {
      const g = this.generations[genIdx];
      if (g.revs[g.revs.length - 1].main > atRev) break;
      genIdx++;
    }
    const g = this.generations[genIdx];
    let revIdx = -1;
    for (let j = g.revs.length - 1; j >= 0; j--) {
      if (g.revs[j].main <= atRev) {
        revIdx = j;
        break;
      }
    }
    if (g.revs.length > 0) {
      if (revIdx > 0) g.revs = g.revs.slice(revIdx);
      const onlyTombstoneLeft = g.revs.length === 1 && genIdx !== this.generations.length - 1;
      if (onlyTombstoneLeft) genIdx++;
      else if (revIdx !== -1) keep(g.revs[0]);
    }
    if (genIdx > 0) this.generations = this.generations.slice(genIdx);
  }

  isEmpty(): boolean {
    return this.generations.length === 1 && this.generations[0].revs.length === 0;
  }

  /** Revision of the newest version strictly before `rev` (for a watch event's prev_kv). */
  before(rev: number): KeyAt | undefined {
    return this.get(rev - 1);
  }
}
