// Removes superseded versions from disk after a compaction, in bounded steps so applies interleave
// with it (the store runs each step through its write queue). The in-memory index is already
// compacted; `keep` lists the revisions <= atRev that the index still points at.
import { pack } from 'msgpackr';
import { Db } from './db';
import { META_PHYSICAL_COMPACT, REV_SPACE_START, parseRevisionKey, revisionKey } from './layout';
import { revisionId } from './tree-index';

export class PhysicalCompaction {
  /** Opened by the first step, once the versions it must delete are all on disk. */
  private keys: { nextv(n: number): Promise<Buffer[]>; close(): Promise<void> } | undefined;
  private done = false;
  deleted = 0;

  constructor(
    private readonly db: Db,
    readonly atRev: number,
    private readonly keep: Set<string>,
    private readonly stepSize: number,
  ) {}

  /** Deletes up to `stepSize` superseded versions; returns true when the job is complete. */
  async step(): Promise<boolean> {
    if (this.done) return true;
    this.keys ??= this.db.keys({ gte: REV_SPACE_START, lt: revisionKey(this.atRev + 1, 0) });
    const keys = await this.keys.nextv(this.stepSize);
    const batch = this.db.batch();
    for (const k of keys) {
      if (!this.keep.has(revisionId(parseRevisionKey(k)))) {
        batch.del(k);
        this.deleted++;
      }
    }
    // nextv may return fewer than asked before the end; only an empty result means done.
    if (keys.length === 0) {
      batch.put(META_PHYSICAL_COMPACT, pack(this.atRev));
      this.done = true;
    }
    await batch.write();
    if (this.done) await this.keys.close();
    return this.done;
  }

  async abandon(): Promise<void> {
    if (!this.done) await this.keys?.close();
    this.done = true;
  }
}
