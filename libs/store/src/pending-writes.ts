// The writes of one applied batch, buffered in a LevelDB chained batch until the store commits
// them all at once (with the applied index). Versions written earlier in the same batch are
// served from memory, older ones from disk.
import { ApplyIO } from './applier';
import { Db } from './db';
import { LeaseTable } from './lease-table';
import {
  META_STATE,
  Revision,
  StoreMeta,
  StoredRecord,
  decodeRecord,
  encodeMeta,
  encodeRecord,
  leaseKey,
  revisionKey,
} from './layout';
import { pack } from 'msgpackr';
import { revisionId } from './tree-index';

export class PendingWrites implements ApplyIO {
  private readonly batch;
  private readonly overlay = new Map<string, StoredRecord>();

  constructor(
    private readonly db: Db,
    private readonly leases: LeaseTable,
  ) {
    this.batch = db.batch();
  }

  readRecord(rev: Revision): StoredRecord {
    const pending = this.overlay.get(revisionId(rev));
    if (pending !== undefined) return pending;
    const bytes = this.db.getSync(revisionKey(rev.main, rev.sub));
    if (bytes === undefined) {
      throw new Error(`store: index points at revision ${revisionId(rev)} missing on disk`);
    }
    return decodeRecord(bytes);
  }

  writeRecord(rev: Revision, record: StoredRecord): void {
    this.overlay.set(revisionId(rev), record);
    this.batch.put(revisionKey(rev.main, rev.sub), encodeRecord(record));
  }

  writeLease(id: number): void {
    const lease = this.leases.get(id);
    if (lease !== undefined)
      this.batch.put(leaseKey(id), encodeLease(lease.ttl, lease.remainingTtl));
  }

  deleteLease(id: number): void {
    this.batch.del(leaseKey(id));
  }

  async commit(meta: StoreMeta, sync: boolean): Promise<void> {
    this.batch.put(META_STATE, encodeMeta(meta));
    await this.batch.write({ sync });
  }

  async abandon(): Promise<void> {
    await this.batch.close();
  }
}

export function encodeLease(ttl: number, remainingTtl: number | undefined): Buffer {
  return pack(remainingTtl === undefined ? [ttl] : [ttl, remainingTtl]);
}
