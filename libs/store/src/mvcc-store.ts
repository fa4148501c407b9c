// The MVCC store: etcd v3 key-value semantics on LevelDB, applied from committed Raft entries.
//
// Writes (applyBatch, compaction steps, snapshot creation, restore) run one at a time through a
// queue. An applied batch updates the in-memory state, hands its writes (and the new applied
// index) to the write-behind buffer, and *publishes* at once: readers and watchers see every
// published revision, from memory until LevelDB has it (the Raft log holds applied entries until
// a snapshot, so nothing acknowledged depends on this buffer). Reads run concurrently with
// writes, from the index plus the pending writes and a LevelDB snapshot taken at one instant.
import { join } from 'node:path';
import { FileSystem, Io, ioWith } from '@flotilla/io';
import { Applier, ApplyEffects } from './applier';
import { decodeCommand } from './command-codec';
import { Db, DbSnapshot, OpenDb, SYNCED_PUT, openClassicLevel } from './db';
import { StoreError, errors } from './errors';
import {
  META_PHYSICAL_COMPACT,
  META_STATE,
  decodeRecord,
  encodeMeta,
  indexKey,
  leaseKey,
  parseRevisionKey,
  recordToKeyValue,
  revisionKey,
} from './layout';
import { PendingView, WriteBehind, encodeLease, findPending } from './write-behind';
import { PhysicalCompaction } from './physical-compaction';
import { VersionCache } from './version-cache';
import { IndexHit, collectHits, finishRange, planRange } from './range-plan';
import { rebuildState } from './rebuild';
import {
  DEFAULT_SNAPSHOT_CHUNK_BYTES,
  SnapshotMeta,
  StoreSnapshot,
  loadSnapshot,
} from './snapshot';
import { StoreState } from './store-state';
import { keySpan } from './tree-index';
import { DEFAULT_MAX_TXN_OPS } from './txn-check';
import {
  Command,
  CommandResponse,
  EventType,
  KeyValue,
  LeaseInfo,
  RangeRequest,
  RangeResponse,
  WatchEvent,
  WatchOptions,
} from './types';
import { HistoryRead, WatchHub } from './watch-hub';
import { Watcher } from './watcher';
import { pack } from 'msgpackr';

export interface MvccStoreOptions {
  /** Most operations per compare/success/failure list of a txn (etcd's --max-txn-ops). */
  maxTxnOps?: number;
  /** A synced watcher with more undelivered events than this is cancelled. */
  watchMaxBufferedEvents?: number;
  /** Versions read from disk per catch-up step of a watcher starting in the past. */
  watchCatchUpBatch?: number;
  /** Superseded versions deleted per physical compaction step. */
  compactionStep?: number;
  snapshotChunkBytes?: number;
  /** Applied writes are written to LevelDB once this many are pending... */
  writeBehindOps?: number;
  /** ...or once the oldest waited this long (ms). */
  writeBehindDelayMs?: number;
  /** Budget of the cache of versions recently read from LevelDB (0: no cache). */
  readCacheBytes?: number;
  /** Time and files: Node's own unless given (the simulation passes virtual ones). */
  io?: Partial<Pick<Io, 'clock' | 'fs'>>;
  /** Opens the LevelDB database of a directory: classic-level unless given. */
  openDb?: OpenDb;
}

type Tunables = Required<Omit<MvccStoreOptions, 'io' | 'openDb'>>;
type StoreIo = Pick<Io, 'clock' | 'fs'> & { openDb: OpenDb };

export interface ApplyEntry {
  /** Raft index; entries at or below the store's appliedIndex are skipped. */
  index: number;
  /** A command, its encoded form, or null for a Raft entry that carries none (advances the index). */
  command: Command | Uint8Array | null;
}

export type ApplyOutcome =
  | { index: number; status: 'applied'; response: CommandResponse | undefined }
  | { index: number; status: 'rejected'; error: StoreError }
  | { index: number; status: 'skipped' };

const DB_DIR = 'db';
/**
 * Up to this many versions are read from LevelDB synchronously; more go to the thread pool
 * (there the event loop's share is ~1 µs a key instead of ~3.5 µs).
 */
const SYNC_READ_KEYS = 8;
/** Holds ~4000 versions of 2 KiB (Kubernetes objects): the hot ones of a list-heavy cluster. */
const DEFAULT_READ_CACHE_BYTES = 8 * 1024 * 1024;
const RESTORE_DIR = 'db.restore';
const OLD_DIR = 'db.old';
const RESTORE_COMPLETE_MARKER = 'restore-complete';

export class MvccStore {
  private tail: Promise<unknown> = Promise.resolve();
  private failure: StoreError | undefined;
  private closed = false;
  private published: { revision: number; compactRevision: number };
  private hub: WatchHub;
  private compactions: PhysicalCompaction[] = [];
  private compactionRunner: Promise<void> = Promise.resolve();
  private compactionRunning = false;
  private readonly opts: Tunables;
  private writes: WriteBehind;
  private readCache: VersionCache;

  private constructor(
    private readonly dir: string,
    private db: Db,
    private state: StoreState,
    options: MvccStoreOptions,
    private readonly io: StoreIo,
  ) {
    this.opts = {
      maxTxnOps: options.maxTxnOps ?? DEFAULT_MAX_TXN_OPS,
      watchMaxBufferedEvents: options.watchMaxBufferedEvents ?? 10_000,
      watchCatchUpBatch: options.watchCatchUpBatch ?? 1000,
      compactionStep: options.compactionStep ?? 1000,
      snapshotChunkBytes: options.snapshotChunkBytes ?? DEFAULT_SNAPSHOT_CHUNK_BYTES,
      writeBehindOps: options.writeBehindOps ?? 2000,
      writeBehindDelayMs: options.writeBehindDelayMs ?? 20,
      readCacheBytes: options.readCacheBytes ?? DEFAULT_READ_CACHE_BYTES,
    };
    this.readCache = new VersionCache(this.opts.readCacheBytes);
    this.writes = this.newWriteBehind();
    this.published = { revision: state.revision, compactRevision: state.compactRevision };
    this.hub = new WatchHub(
      {
        current: () => this.published,
        readHistory: (from, to, max) => this.readHistory(from, to, max),
      },
      {
        maxBufferedEvents: this.opts.watchMaxBufferedEvents,
        catchUpBatch: this.opts.watchCatchUpBatch,
      },
    );
  }

  /** Opens (or creates) the store in `dir`, finishing an interrupted restore or compaction. */
  static async open(dir: string, options: MvccStoreOptions = {}): Promise<MvccStore> {
    const io: StoreIo = { ...ioWith(options.io), openDb: options.openDb ?? openClassicLevel };
    await io.fs.mkdir(dir, { recursive: true });
    await recoverInterruptedRestore(io.fs, dir);
    const db = await io.openDb(join(dir, DB_DIR));
    try {
      const { state, physicalCompactRevision } = await rebuildState(db);
      const store = new MvccStore(dir, db, state, options, io);
      store.compactIndex(state.compactRevision, physicalCompactRevision);
      return store;
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  /** Last Raft index applied (and durable on disk once its batch was written). */
  get appliedIndex(): number {
    return this.state.appliedIndex;
  }

  /** Writes applied (and visible) but not yet handed to LevelDB. */
  get pendingWrites(): number {
    return this.writes.pendingOps;
  }

  /** Current (published) revision. */
  get revision(): number {
    return this.published.revision;
  }

  get compactRevision(): number {
    return this.published.compactRevision;
  }

  /** Bytes the store's files take on disk (etcd's db size). */
  async approximateSize(): Promise<number> {
    const dbDir = join(this.dir, DB_DIR);
    let total = 0;
    const fs = this.io.fs;
    for (const name of await fs.readdir(dbDir).catch(() => [] as string[])) {
      total += (await fs.stat(join(dbDir, name)).catch(() => ({ size: 0 }))).size;
    }
    return total;
  }

  /**
   * Applies committed entries in order. Their writes reach LevelDB shortly after, together with
   * the new appliedIndex; `sync` waits until they are there and fsynced. Returns one outcome per
   * entry: the response for the client, or why the request was rejected (a rejected request
   * still consumes its index). Throws only if the store cannot continue.
   */
  applyBatch(entries: ApplyEntry[], options: { sync?: boolean } = {}): Promise<ApplyOutcome[]> {
    return this.serial(async () => {
      const outcomes = this.applyNow(entries);
      if (options.sync === true) await this.writes.flush(true);
      return outcomes;
    });
  }

  /** applyBatch for one entry. */
  async apply(
    index: number,
    command: Command | Uint8Array | null,
    options: { sync?: boolean } = {},
  ): Promise<ApplyOutcome> {
    const [outcome] = await this.applyBatch([{ index, command }], options);
    return outcome;
  }

  private applyNow(entries: ApplyEntry[]): ApplyOutcome[] {
    this.assertUsable();
    const effects: ApplyEffects = { events: [], compactions: [] };
    const applier = new Applier(
      this.state,
      this.writes,
      { maxTxnOps: this.opts.maxTxnOps, wantPrevKv: () => this.hub.wantsPrevKv() },
      effects,
    );
    const outcomes: ApplyOutcome[] = [];
    let applied = 0;
    try {
      for (const { index, command } of entries) {
        if (index <= this.state.appliedIndex) {
          outcomes.push({ index, status: 'skipped' });
          continue;
        }
        outcomes.push(applyOne(applier, index, command));
        this.state.appliedIndex = index;
        applied++;
      }
      if (applied === 0) return outcomes;
      this.writes.applied({
        appliedIndex: this.state.appliedIndex,
        revision: this.state.revision,
        compactRevision: this.state.compactRevision,
      });
    } catch (err) {
      // Memory is ahead of disk now: refuse further work until reopened (which rebuilds).
      this.fail(err);
    }
    this.publish(effects);
    return outcomes;
  }

  private fail(err: unknown): never {
    this.failure ??= err instanceof StoreError && err.code === 'failed' ? err : errors.failed(err);
    throw this.failure;
  }

  private newWriteBehind(): WriteBehind {
    return new WriteBehind(
      this.db,
      this.state.leases,
      { maxPendingOps: this.opts.writeBehindOps, maxDelayMs: this.opts.writeBehindDelayMs },
      this.io.clock,
      (err) => {
        this.failure ??= errors.failed(err);
      },
    );
  }

  private publish(effects: ApplyEffects): void {
    this.published = {
      revision: this.state.revision,
      compactRevision: this.state.compactRevision,
    };
    for (const rev of effects.compactions) this.compactIndex(rev, 0);
    this.hub.notify(effects.events, this.state.revision);
  }

  /** Compacts the in-memory index now and removes superseded versions from disk in steps. */
  private compactIndex(atRev: number, physicalDone: number): void {
    if (atRev === 0) return;
    const keep = this.state.index.compact(atRev);
    if (physicalDone >= atRev) return;
    this.compactions.push(new PhysicalCompaction(this.db, atRev, keep, this.opts.compactionStep));
    if (!this.compactionRunning) {
      this.compactionRunning = true;
      this.compactionRunner = this.runCompactions().finally(() => (this.compactionRunning = false));
    }
  }

  private async runCompactions(): Promise<void> {
    while (this.compactions.length > 0 && !this.closed && this.failure === undefined) {
      const job = this.compactions[0];
      let done: boolean;
      try {
        done = await this.serial(async () => {
          // The job reads versions from disk: the ones it must delete may still be pending.
          await this.writes.flush();
          return job.step();
        });
      } catch {
        // Not fatal: the next open sees the unfinished compaction and redoes it.
        await job.abandon();
        if (this.compactions[0] === job) this.compactions.shift();
        continue;
      }
      // A restore may have replaced the job list meanwhile.
      if (done && this.compactions[0] === job) this.compactions.shift();
      // Let queued applies run between steps.
      await new Promise<void>((resolve) => this.io.clock.nextTurn(resolve));
    }
  }

  /**
   * Makes everything applied so far durable (written and fsynced) and returns the applied index
   * that is now on disk: Raft may then drop its log up to there, because a restart resumes the
   * store from that index and needs no older entry.
   */
  persist(): Promise<number> {
    return this.serial(async () => {
      this.assertUsable();
      await this.writes.flush();
      const meta = {
        appliedIndex: this.state.appliedIndex,
        revision: this.state.revision,
        compactRevision: this.state.compactRevision,
      };
      // One synced write also syncs LevelDB's log for every earlier write.
      await this.db.put(META_STATE, encodeMeta(meta), SYNCED_PUT);
      return meta.appliedIndex;
    });
  }

  /** Resolves when queued writes and background compaction have finished (tests, shutdown). */
  async whenIdle(): Promise<void> {
    await this.compactionRunner;
    await this.serial(() => this.writes.flush());
  }

  // --- reads ---------------------------------------------------------------------------------

  /** Range at the current revision or a past one (not below the compact revision). */
  async range(req: RangeRequest): Promise<RangeResponse> {
    this.assertUsable();
    if (req.key === undefined || req.key.length === 0) throw errors.invalid('key is not provided');
    const current = this.published.revision;
    const rev = req.revision || current;
    if (rev > current) throw errors.futureRevision();
    if (rev < this.published.compactRevision) {
      throw errors.compacted(this.published.compactRevision);
    }
    const span = keySpan(req.key, req.rangeEnd);
    const { hits, count } = collectHits(this.state.index, span, rev, req);
    const plan = planRange(hits, req, count);
    const header = { revision: current };
    if (req.countOnly) return { header, kvs: [], more: false, count: plan.count };
    const kvs = await this.readVersions(plan.hits);
    const { kvs: out, more } = finishRange(kvs, req, plan);
    return { header, kvs: out, more, count: plan.count };
  }

  /**
   * Reads the versions the hits point at: those not yet written from the pending writes, those
   * read lately from the cache, the others from LevelDB at the same instant. A few keys are read synchronously: no snapshot is
   * needed (nothing can change before the read ends), and it costs a few microseconds per key
   * where an async read costs a thread-pool round trip (~50 µs of CPU for one key). More keys go
   * to the thread pool in one getMany on a snapshot, which keeps the event loop free meanwhile.
   */
  private async readVersions(hits: IndexHit[]): Promise<KeyValue[]> {
    if (hits.length === 0) return [];
    const kvs: KeyValue[] = new Array<KeyValue>(hits.length);
    const fromDisk: number[] = [];
    const pending: PendingView = this.writes.view();
    const cache = this.readCache;
    hits.forEach((h, i) => {
      const record = pending.length > 0 ? findPending(pending, h.at.mod) : undefined;
      if (record !== undefined) kvs[i] = recordToKeyValue(record, h.at.mod.main);
      else {
        const cached = cache.get(h.at.mod);
        if (cached !== undefined) kvs[i] = cached;
        else fromDisk.push(i);
      }
    });
    if (fromDisk.length === 0) return kvs;
    const fill = (j: number, v: Buffer | undefined) => {
      if (v === undefined) throw new Error('store: index points at a version missing on disk');
      const i = fromDisk[j];
      const kv = recordToKeyValue(decodeRecord(v), hits[i].at.mod.main);
      cache.set(hits[i].at.mod, kv);
      kvs[i] = kv;
    };
    const keyOf = (i: number) => revisionKey(hits[i].at.mod.main, hits[i].at.mod.sub);
    if (fromDisk.length <= SYNC_READ_KEYS) {
      fromDisk.forEach((i, j) => fill(j, this.db.getSync(keyOf(i))));
      return kvs;
    }
    const snapshot = this.db.snapshot();
    try {
      const values = await this.db.getMany(fromDisk.map(keyOf), { snapshot });
      values.forEach((v, j) => fill(j, v));
      return kvs;
    } finally {
      await snapshot.close();
    }
  }

  // --- watch ---------------------------------------------------------------------------------

  /**
   * Watches a key or range from `startRevision` (default: the next revision). Iterate the
   * returned Watcher with `for await`; leave the loop or call cancel() to stop. The iterator
   * ends after a response with `canceled: true` (compacted start, slow consumer, store closed).
   */
  watch(options: WatchOptions): Watcher {
    this.assertUsable();
    return this.hub.watch(options);
  }

  /** Progress notification to idle synced watchers (all, or only those that asked for it). */
  progress(all = false): void {
    this.hub.progress(all);
  }

  get watcherCount(): number {
    return this.hub.size;
  }

  private async readHistory(from: number, to: number, maxRecords: number): Promise<HistoryRead> {
    if (from < this.published.compactRevision) {
      return { compacted: this.published.compactRevision };
    }
    // History is read from disk in revision order: let the pending writes get there first.
    await this.writes.flush();
    if (from < this.published.compactRevision) {
      return { compacted: this.published.compactRevision };
    }
    const snapshot = this.db.snapshot();
    try {
      const read = (gte: Buffer, lt: Buffer, limit: number) =>
        this.db.iterator({ gte, lt, limit, snapshot }).all();
      let entries = await read(revisionKey(from, 0), revisionKey(to + 1, 0), maxRecords);
      let next = to + 1;
      if (entries.length === maxRecords && maxRecords > 0) {
        const lastMain = parseRevisionKey(entries[entries.length - 1][0]).main;
        const firstMain = parseRevisionKey(entries[0][0]).main;
        if (firstMain !== lastMain) {
          // Never split a revision across responses: stop before the last one.
          entries = entries.filter(([k]) => parseRevisionKey(k).main !== lastMain);
          next = lastMain;
        } else {
          const lastKey = entries[entries.length - 1][0];
          const rest = await this.db
            .iterator({ gt: lastKey, lt: revisionKey(lastMain + 1, 0), snapshot })
            .all();
          entries = entries.concat(rest);
          next = lastMain + 1;
        }
      }
      const events: WatchEvent[] = entries.map(([k, v]) => {
        const main = parseRevisionKey(k).main;
        const record = decodeRecord(v);
        return {
          type: record.tombstone ? EventType.DELETE : EventType.PUT,
          kv: recordToKeyValue(record, main),
        };
      });
      await this.attachPrevKvs(events, snapshot);
      return { events, next };
    } finally {
      await snapshot.close();
    }
  }

  private async attachPrevKvs(events: WatchEvent[], snapshot: DbSnapshot): Promise<void> {
    if (!this.hub.wantsPrevKv() || events.length === 0) return;
    const wanted: Array<{ event: WatchEvent; key: Buffer; main: number }> = [];
    for (const event of events) {
      const at = this.state.index.get(indexKey(event.kv.key))?.get(event.kv.modRevision - 1);
      if (at !== undefined) {
        wanted.push({ event, key: revisionKey(at.mod.main, at.mod.sub), main: at.mod.main });
      }
    }
    const values = await this.db.getMany(
      wanted.map((w) => w.key),
      { snapshot },
    );
    values.forEach((v, i) => {
      if (v !== undefined)
        wanted[i].event.prevKv = recordToKeyValue(decodeRecord(v), wanted[i].main);
    });
  }

  // --- leases (replicated state) -------------------------------------------------------------

  leases(): LeaseInfo[] {
    return this.state.leases.list();
  }

  lease(id: number): LeaseInfo | undefined {
    return this.state.leases.get(id);
  }

  /** Keys attached to a lease, in byte order. */
  leaseKeys(id: number): Buffer[] {
    return this.state.leases.keysOf(id).map((k) => Buffer.from(k, 'latin1'));
  }

  // --- snapshots -----------------------------------------------------------------------------

  /**
   * A consistent snapshot of the state at the current appliedIndex (taken between two applied
   * batches). Iterate it once for the chunks; `meta` says what it contains.
   */
  createSnapshot(): Promise<StoreSnapshot> {
    return this.serial(async () => {
      this.assertUsable();
      await this.writes.flush();
      const meta: SnapshotMeta = {
        appliedIndex: this.state.appliedIndex,
        revision: this.state.revision,
        compactRevision: this.state.compactRevision,
        leases: this.state.leases.list(),
      };
      return new StoreSnapshot(this.db, this.db.snapshot(), meta, this.opts.snapshotChunkBytes);
    });
  }

  /**
   * Replaces the whole state with a snapshot stream. The stream is written to a fresh LevelDB
   * directory first and swapped in only once complete, so a bad stream or a crash leaves either
   * the old state or the new one. Watchers replay from where they were against the new state.
   */
  restoreSnapshot(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<SnapshotMeta> {
    return this.serial(async () => {
      this.assertUsable();
      const { fs, openDb } = this.io;
      const restoreDir = join(this.dir, RESTORE_DIR);
      await fs.rm(restoreDir, { recursive: true, force: true });
      const fresh = await openDb(restoreDir);
      let meta: SnapshotMeta;
      try {
        meta = await loadSnapshot(fresh, chunks);
        const batch = fresh.batch();
        for (const l of meta.leases) batch.put(leaseKey(l.id), encodeLease(l.ttl, l.remainingTtl));
        batch.put(META_PHYSICAL_COMPACT, pack(0));
        batch.put(META_STATE, encodeMeta(meta));
        await batch.write({ sync: true });
      } catch (err) {
        await fresh.close();
        await fs.rm(restoreDir, { recursive: true, force: true });
        throw err;
      }
      await fresh.close();
      await this.writes.flush();
      await this.stopCompactions();
      await this.db.close();
      try {
        await fs.writeFile(join(this.dir, RESTORE_COMPLETE_MARKER), '', { flush: true });
        await recoverInterruptedRestore(fs, this.dir);
        this.db = await openDb(join(this.dir, DB_DIR));
        const { state } = await rebuildState(this.db);
        this.state = state;
        this.writes = this.newWriteBehind();
        // A new object, not clear(): a read of the old state that ends later fills the old one.
        this.readCache = new VersionCache(this.opts.readCacheBytes);
      } catch (err) {
        this.failure = errors.failed(err);
        throw this.failure;
      }
      this.published = {
        revision: this.state.revision,
        compactRevision: this.state.compactRevision,
      };
      this.compactIndex(this.state.compactRevision, 0);
      this.hub.resync();
      return meta;
    });
  }

  private async stopCompactions(): Promise<void> {
    const jobs = this.compactions;
    this.compactions = [];
    for (const job of jobs) await job.abandon();
  }

  // --- lifecycle -----------------------------------------------------------------------------

  /** Ends all watches, waits for queued writes, closes LevelDB. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.hub.closeAll('store: closed');
    await this.serial(async () => {
      this.closed = true;
      await this.writes.flush().catch(() => undefined);
      await this.stopCompactions();
    });
    await this.compactionRunner;
    await this.db.close();
  }

  private assertUsable(): void {
    if (this.closed) throw errors.closed();
    if (this.failure !== undefined) throw this.failure;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

function applyOne(
  applier: Applier,
  index: number,
  command: Command | Uint8Array | null,
): ApplyOutcome {
  if (command === null) return { index, status: 'applied', response: undefined };
  try {
    const cmd = command instanceof Uint8Array ? decodeCommand(command) : command;
    return { index, status: 'applied', response: applier.apply(cmd) };
  } catch (err) {
    if (err instanceof StoreError) return { index, status: 'rejected', error: err };
    throw err;
  }
}

/**
 * Finishes or discards a restore interrupted by a crash: the marker is written only once the
 * fresh directory is complete, so with it we (re)do the swap, without it we drop the leftovers.
 */
async function recoverInterruptedRestore(fs: FileSystem, dir: string): Promise<void> {
  const marker = join(dir, RESTORE_COMPLETE_MARKER);
  const restoreDir = join(dir, RESTORE_DIR);
  const dbDir = join(dir, DB_DIR);
  const oldDir = join(dir, OLD_DIR);
  if ((await exists(fs, marker)) && (await exists(fs, restoreDir))) {
    await fs.rm(oldDir, { recursive: true, force: true });
    if (await exists(fs, dbDir)) await fs.rename(dbDir, oldDir);
    await fs.rename(restoreDir, dbDir);
  }
  await fs.rm(marker, { force: true });
  await fs.rm(restoreDir, { recursive: true, force: true });
  await fs.rm(oldDir, { recursive: true, force: true });
}

async function exists(fs: FileSystem, path: string): Promise<boolean> {
  try {
    await fs.stat(path);
    return true;
  } catch {
    return false;
  }
}
