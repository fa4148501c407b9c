// Applied writes held in memory until LevelDB has them, so applying a committed entry costs no
// disk round trip. The Raft log is what makes an applied entry durable: after a crash the store
// reopens at the applied index of its last written batch and the log replays the rest, and the
// log is only cut below a snapshot (whose data was flushed first). Writes of many applied
// batches travel to LevelDB together (one write in flight at a time, in apply order), which
// also keeps the number of hand-offs to LevelDB's thread low under load.
//
// Readers see a pending version through `view()`: the layers not yet on disk, captured at the
// same instant as a LevelDB snapshot. A layer is dropped only once its write completed, so a
// version is always in the captured layers or in the snapshot.
import { Clock, Timer } from '@flotilla/io';
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

export interface WriteBehindOptions {
  /** A layer is written once it holds this many operations... */
  maxPendingOps: number;
  /** ...or once its first write waited this long. */
  maxDelayMs: number;
}

type ChainedBatch = ReturnType<Db['batch']>;

/** The writes of consecutive applied batches that go to LevelDB in one write. */
interface Layer {
  readonly batch: ChainedBatch;
  readonly records: Map<string, StoredRecord>;
  ops: number;
  /** The store's state after the last batch in this layer: written with it. */
  meta: StoreMeta | undefined;
  /** Whether its write must be fsynced (someone flushes with sync). */
  sync: boolean;
}

export type PendingView = readonly Layer[];

export function findPending(view: PendingView, rev: Revision): StoredRecord | undefined {
  const id = revisionId(rev);
  for (let i = view.length - 1; i >= 0; i--) {
    const record = view[i].records.get(id);
    if (record !== undefined) return record;
  }
  return undefined;
}

export class WriteBehind implements ApplyIO {
  /** Layers not yet on disk, oldest first; the last one takes new writes unless sealed. */
  private layers: PendingView = [];
  private open: Layer | undefined;
  private writing: Promise<void> | undefined;
  private timer: Timer | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly db: Db,
    private readonly leases: LeaseTable,
    private readonly options: WriteBehindOptions,
    private readonly clock: Clock,
    /** Called once if a background write fails: memory is then ahead of disk for good. */
    private readonly onFailure: (err: Error) => void,
  ) {}

  /** Versions applied but not yet on disk; capture it together with a LevelDB snapshot. */
  view(): PendingView {
    return this.layers;
  }

  /** Operations applied but not yet written to LevelDB. */
  get pendingOps(): number {
    let n = 0;
    for (const layer of this.layers) n += layer.ops;
    return n;
  }

  // --- ApplyIO -------------------------------------------------------------------------------

  readRecord(rev: Revision): StoredRecord {
    const pending = findPending(this.layers, rev);
    if (pending !== undefined) return pending;
    const bytes = this.db.getSync(revisionKey(rev.main, rev.sub));
    if (bytes === undefined) {
      throw new Error(`store: index points at revision ${revisionId(rev)} missing on disk`);
    }
    return decodeRecord(bytes);
  }

  writeRecord(rev: Revision, record: StoredRecord): void {
    const layer = this.openLayer();
    layer.records.set(revisionId(rev), record);
    layer.batch.put(revisionKey(rev.main, rev.sub), encodeRecord(record));
    layer.ops++;
  }

  writeLease(id: number): void {
    const lease = this.leases.get(id);
    if (lease === undefined) return;
    const layer = this.openLayer();
    layer.batch.put(leaseKey(id), encodeLease(lease.ttl, lease.remainingTtl));
    layer.ops++;
  }

  deleteLease(id: number): void {
    const layer = this.openLayer();
    layer.batch.del(leaseKey(id));
    layer.ops++;
  }

  // --- batches and flushing ------------------------------------------------------------------

  /** Ends one applied batch: its state goes to disk with its writes, soon. */
  applied(meta: StoreMeta): void {
    const layer = this.openLayer();
    layer.meta = meta;
    if (layer.ops >= this.options.maxPendingOps) this.kick();
    else if (this.timer === undefined && this.writing === undefined) {
      this.timer = this.clock.setTimeout(() => this.kick(), this.options.maxDelayMs, {
        background: true,
      });
    }
  }

  /**
   * Resolves once everything applied so far is on disk (fsynced with `sync`). Later applies
   * start a new layer, so a steady stream of them does not hold this up.
   */
  async flush(sync = false): Promise<void> {
    const target = this.layers[this.layers.length - 1];
    if (target !== undefined) {
      if (target === this.open) this.open = undefined;
      if (sync) target.sync = true;
      while (this.failure === undefined && this.layers.includes(target)) {
        this.kick();
        await this.writing;
      }
    }
    if (this.failure !== undefined) throw this.failure;
  }

  private openLayer(): Layer {
    if (this.failure !== undefined) throw this.failure;
    if (this.open === undefined) {
      this.open = {
        batch: this.db.batch(),
        records: new Map(),
        ops: 0,
        meta: undefined,
        sync: false,
      };
      this.layers = [...this.layers, this.open];
    }
    return this.open;
  }

  /** Starts writing the oldest layer unless a write is in flight (its end starts the next). */
  private kick(): void {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.writing !== undefined || this.layers.length === 0) return;
    const layer = this.layers[0];
    if (layer === this.open) this.open = undefined;
    if (layer.meta !== undefined) layer.batch.put(META_STATE, encodeMeta(layer.meta));
    this.writing = layer.batch.write({ sync: layer.sync }).then(
      () => {
        this.layers = this.layers.filter((l) => l !== layer);
        this.writing = undefined;
        if (this.layers.length > 0) this.kick();
      },
      (err: Error) => {
        this.writing = undefined;
        this.failure = err;
        this.onFailure(err);
      },
    );
  }
}

export function encodeLease(ttl: number, remainingTtl: number | undefined): Buffer {
  return pack(remainingTtl === undefined ? [ttl] : [ttl, remainingTtl]);
}
