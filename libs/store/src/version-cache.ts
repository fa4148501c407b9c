// Versions recently read from LevelDB, decoded, by revision: the least recently used go first
// once their bytes pass the budget. A version never changes once written, so nothing is ever
// invalidated; a restore (another history) clears it all. Only reads fill it, so a write-only
// load costs no memory here.
//
// Why: a 100-key range of 2 KiB values read through getMany made 100 LevelDB copies and one
// decode each, 0.3-0.4 ms of a member's CPU per range, and 200 KiB of short-lived external
// buffers that bring V8's full GCs sooner. etcd reads values in place from its memory-mapped
// file. In bench:kv (alternating runs) 100-key linearizable ranges went from 418-430/s to
// 544-548/s with it, 1-key serializable ones from 2756-3038/s to 3251-3422/s.
import type { Revision } from './layout';
import type { KeyValue } from './types';

/** What one entry is charged on top of its key and value: the objects and the map slot. */
const ENTRY_OVERHEAD_BYTES = 160;

export class VersionCache {
  // A Map iterates in insertion order; a hit is moved to the end, so the first is the oldest.
  private readonly entries = new Map<string, KeyValue>();
  private bytes = 0;

  constructor(private readonly budgetBytes: number) {}

  get size(): number {
    return this.entries.size;
  }

  get usedBytes(): number {
    return this.bytes;
  }

  /** The version written at `rev`, shared with other readers: callers must not modify it. */
  get(rev: Revision): KeyValue | undefined {
    const id = idOf(rev);
    const kv = this.entries.get(id);
    if (kv !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, kv);
    }
    return kv;
  }

  set(rev: Revision, kv: KeyValue): void {
    const cost = costOf(kv);
    if (cost > this.budgetBytes) return;
    const id = idOf(rev);
    const old = this.entries.get(id);
    if (old !== undefined) {
      this.entries.delete(id);
      this.bytes -= costOf(old);
    }
    this.entries.set(id, kv);
    this.bytes += cost;
    for (const [oldest, v] of this.entries) {
      if (this.bytes <= this.budgetBytes) break;
      this.entries.delete(oldest);
      this.bytes -= costOf(v);
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}

function idOf(rev: Revision): string {
  return rev.sub === 0 ? String(rev.main) : `${rev.main}.${rev.sub}`;
}

function costOf(kv: KeyValue): number {
  return kv.key.length + kv.value.length + ENTRY_OVERHEAD_BYTES;
}
