// Applies one command to the store state, etcd's way. Deterministic: the result depends only on
// the state and the command. Disk access goes through ApplyIO (synchronous reads of versions
// written earlier, buffered writes), so this file decides and the store performs.
//
// A command that fails validation throws a StoreError before changing anything; all checks
// (txn shape, compares, leases, key existence, read revisions) run before the first write.
import { checkTxn } from './txn-check';
import { errors } from './errors';
import { EMPTY, Revision, StoredRecord, asBuffer, indexKey, recordToKeyValue } from './layout';
import { IndexHit, collectHits, finishRange, planRange } from './range-plan';
import { StoreState } from './store-state';
import { KeySpan, keySpan } from './tree-index';
import {
  Command,
  CommandResponse,
  Compare,
  CompareResult,
  CompareTarget,
  CompactionRequest,
  DeleteRangeRequest,
  DeleteRangeResponse,
  EventType,
  KeyValue,
  LeaseCheckpointRequest,
  LeaseGrantRequest,
  LeaseRevokeRequest,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
  WatchEvent,
} from './types';

export interface ApplyIO {
  /** The version written at `rev` (earlier in this batch or on disk). */
  readRecord(rev: Revision): StoredRecord;
  writeRecord(rev: Revision, record: StoredRecord): void;
  writeLease(id: number): void;
  deleteLease(id: number): void;
}

/** What one batch produced besides responses: watch events and compactions to finish. */
export interface ApplyEffects {
  events: WatchEvent[];
  compactions: number[];
}

export interface ApplierOptions {
  maxTxnOps: number;
  /** Whether watchers want prev_kv, so events must carry the previous version. */
  wantPrevKv: () => boolean;
}

/** The writes of one revision: every write shares `main`, each takes the next `sub`. */
interface WriteTxn {
  main: number;
  sub: number;
  beginRev: number;
}

export class Applier {
  constructor(
    private readonly state: StoreState,
    private readonly io: ApplyIO,
    private readonly options: ApplierOptions,
    private readonly effects: ApplyEffects,
  ) {}

  apply(cmd: Command): CommandResponse {
    switch (cmd.type) {
      case 'put':
        return this.single(
          (tx) => this.put(tx, cmd.request),
          () => this.checkPut(cmd.request),
        );
      case 'deleteRange':
        return this.single(
          (tx) => this.deleteRange(tx, cmd.request),
          () => requireKey(cmd.request.key),
        );
      case 'txn':
        return this.txn(cmd.request);
      case 'compact':
        return this.compact(cmd.request);
      case 'leaseGrant':
        return this.leaseGrant(cmd.request);
      case 'leaseRevoke':
        return this.leaseRevoke(cmd.request);
      case 'leaseCheckpoint':
        return this.leaseCheckpoint(cmd.request);
    }
  }

  private begin(): WriteTxn {
    return { main: this.state.revision + 1, sub: 0, beginRev: this.state.revision };
  }

  private end(tx: WriteTxn): number {
    if (tx.sub > 0) this.state.revision = tx.main;
    return this.state.revision;
  }

  private single<R extends { header: { revision: number } }>(
    run: (tx: WriteTxn) => R,
    check: () => void,
  ): R {
    check();
    const tx = this.begin();
    const resp = run(tx);
    resp.header.revision = this.end(tx);
    return resp;
  }

  // --- reads ---------------------------------------------------------------------------------

  private readKv(rev: Revision): KeyValue {
    return recordToKeyValue(this.io.readRecord(rev), rev.main);
  }

  private hits(span: KeySpan, rev: number): IndexHit[] {
    const out: IndexHit[] = [];
    for (const ki of this.state.index.span(span)) {
      const at = ki.get(rev);
      if (at !== undefined) out.push({ ki, at });
    }
    return out;
  }

  private checkReadRevision(revision: number | undefined, current: number): void {
    if (!revision) return;
    if (revision > current) throw errors.futureRevision();
    if (revision < this.state.compactRevision) throw errors.compacted(this.state.compactRevision);
  }

  /** A range inside a txn: sees the txn's own earlier writes, as etcd does. */
  private range(tx: WriteTxn, req: RangeRequest): RangeResponse {
    const current = tx.sub > 0 ? tx.main : tx.beginRev;
    const rev = req.revision || current;
    const { hits, count } = collectHits(this.state.index, keySpan(req.key, req.rangeEnd), rev, req);
    const plan = planRange(hits, req, count);
    const kvs = plan.hits.map((h) => this.readKv(h.at.mod));
    const { kvs: out, more } = finishRange(kvs, req, plan);
    return { header: { revision: 0 }, kvs: out, more, count: plan.count };
  }

  // --- writes --------------------------------------------------------------------------------

  private checkPut(req: PutRequest): void {
    requireKey(req.key);
    const lease = req.lease ?? 0;
    if (req.ignoreValue && req.value !== undefined && req.value.length > 0) {
      throw errors.invalid('value is provided');
    }
    if (req.ignoreLease && lease !== 0) throw errors.invalid('lease is provided');
    if (!req.ignoreLease && lease !== 0 && !this.state.leases.has(lease)) {
      throw errors.leaseNotFound();
    }
    if (req.ignoreValue || req.ignoreLease) {
      if (this.state.index.get(indexKey(req.key))?.latest() === undefined) {
        throw errors.keyNotFound();
      }
    }
  }

  private put(tx: WriteTxn, req: PutRequest): PutResponse {
    const key = asBuffer(req.key);
    const ik = indexKey(key);
    const ki = this.state.index.getOrCreate(ik);
    const cur = ki.latest();
    const needPrev = req.prevKv || req.ignoreValue || this.options.wantPrevKv();
    const prev = cur !== undefined && needPrev ? this.readKv(cur.mod) : undefined;
    const value = req.ignoreValue && prev !== undefined ? prev.value : asBuffer(req.value);
    const lease = req.ignoreLease ? ki.lease : (req.lease ?? 0);
    const rev = { main: tx.main, sub: tx.sub++ };
    const createRevision = cur === undefined ? rev.main : cur.createRevision;
    const version = cur === undefined ? 1 : cur.version + 1;
    this.state.leases.detach(ki.lease, ik);
    this.state.index.put(ki, rev, createRevision, version, lease);
    this.state.leases.attach(lease, ik);
    this.io.writeRecord(rev, { tombstone: false, key, value, createRevision, version, lease });
    const kv: KeyValue = { key, createRevision, modRevision: rev.main, version, value, lease };
    this.effects.events.push(
      prev === undefined ? { type: EventType.PUT, kv } : { type: EventType.PUT, kv, prevKv: prev },
    );
    const resp: PutResponse = { header: { revision: 0 } };
    if (req.prevKv && prev !== undefined) resp.prevKv = prev;
    return resp;
  }

  private deleteRange(tx: WriteTxn, req: DeleteRangeRequest): DeleteRangeResponse {
    const prevKvs: KeyValue[] = [];
    let deleted = 0;
    const wantPrev = req.prevKv === true || this.options.wantPrevKv();
    for (const ki of this.state.index.span(keySpan(req.key, req.rangeEnd))) {
      const result = this.tombstone(tx, ki.key, wantPrev);
      if (!result.deleted) continue;
      deleted++;
      if (req.prevKv && result.prev !== undefined) prevKvs.push(result.prev);
    }
    return { header: { revision: 0 }, deleted, prevKvs };
  }

  /** Deletes one key if live, reading its last version when `wantPrev`. */
  private tombstone(
    tx: WriteTxn,
    key: Buffer,
    wantPrev: boolean,
  ): { deleted: boolean; prev?: KeyValue } {
    const ik = indexKey(key);
    const ki = this.state.index.get(ik);
    const cur = ki?.latest();
    if (ki === undefined || cur === undefined) return { deleted: false };
    const prev = wantPrev ? this.readKv(cur.mod) : undefined;
    const rev = { main: tx.main, sub: tx.sub++ };
    this.state.leases.detach(ki.lease, ik);
    this.state.index.tombstone(ki, rev);
    this.io.writeRecord(rev, { tombstone: true, key: ki.key });
    const kv: KeyValue = {
      key: ki.key,
      createRevision: 0,
      modRevision: rev.main,
      version: 0,
      value: EMPTY,
      lease: 0,
    };
    this.effects.events.push(
      prev === undefined
        ? { type: EventType.DELETE, kv }
        : { type: EventType.DELETE, kv, prevKv: prev },
    );
    return { deleted: true, prev };
  }

  // --- txn -----------------------------------------------------------------------------------

  private txn(req: TxnRequest): TxnResponse {
    checkTxn(req, this.options.maxTxnOps);
    const beginRev = this.state.revision;
    const path = this.choosePath(req, beginRev);
    this.checkPath(req, path, beginRev);
    const tx = this.begin();
    const resp = this.runTxn(tx, req, path);
    const revision = this.end(tx);
    stampHeaders({ responseTxn: resp }, revision);
    return resp;
  }

  /** Evaluates every compare of the tree against the state before the txn, as etcd does. */
  private choosePath(req: TxnRequest, rev: number): TxnPath {
    const succeeded = (req.compare ?? []).every((c) => this.compare(c, rev));
    const ops = (succeeded ? req.success : req.failure) ?? [];
    const nested = new Map<number, TxnPath>();
    ops.forEach((op, i) => {
      if ('requestTxn' in op) nested.set(i, this.choosePath(op.requestTxn, rev));
    });
    return { succeeded, nested };
  }

  private checkPath(req: TxnRequest, path: TxnPath, rev: number): void {
    const ops = (path.succeeded ? req.success : req.failure) ?? [];
    ops.forEach((op, i) => {
      if ('requestPut' in op) this.checkPut(op.requestPut);
      else if ('requestDeleteRange' in op) requireKey(op.requestDeleteRange.key);
      else if ('requestRange' in op) {
        requireKey(op.requestRange.key);
        this.checkReadRevision(op.requestRange.revision, rev);
      } else this.checkPath(op.requestTxn, path.nested.get(i) as TxnPath, rev);
    });
  }

  private runTxn(tx: WriteTxn, req: TxnRequest, path: TxnPath): TxnResponse {
    const ops = (path.succeeded ? req.success : req.failure) ?? [];
    const responses = ops.map((op, i) => this.runOp(tx, op, path.nested.get(i)));
    return { header: { revision: 0 }, succeeded: path.succeeded, responses };
  }

  private runOp(tx: WriteTxn, op: RequestOp, nested: TxnPath | undefined): ResponseOp {
    if ('requestRange' in op) return { responseRange: this.range(tx, op.requestRange) };
    if ('requestPut' in op) return { responsePut: this.put(tx, op.requestPut) };
    if ('requestDeleteRange' in op) {
      return { responseDeleteRange: this.deleteRange(tx, op.requestDeleteRange) };
    }
    return { responseTxn: this.runTxn(tx, op.requestTxn, nested as TxnPath) };
  }

  private compare(c: Compare, rev: number): boolean {
    const hits = this.hits(keySpan(c.key, c.rangeEnd), rev);
    // A missing key compares as all zeros, except on value: there is no value to compare.
    if (hits.length === 0) return c.target !== CompareTarget.VALUE && compareKv(c, undefined);
    return hits.every(({ at }) => {
      const needRecord = c.target === CompareTarget.VALUE || c.target === CompareTarget.LEASE;
      const kv = needRecord ? this.readKv(at.mod) : undefined;
      return compareKv(c, {
        version: at.version,
        createRevision: at.createRevision,
        modRevision: at.mod.main,
        value: kv?.value ?? EMPTY,
        lease: kv?.lease ?? 0,
      });
    });
  }

  // --- compaction and leases -----------------------------------------------------------------

  private compact(req: CompactionRequest): { header: { revision: number } } {
    if (req.revision <= this.state.compactRevision) {
      throw errors.compacted(this.state.compactRevision);
    }
    if (req.revision > this.state.revision) throw errors.futureRevision();
    this.state.compactRevision = req.revision;
    this.effects.compactions.push(req.revision);
    return { header: { revision: this.state.revision } };
  }

  private leaseGrant(req: LeaseGrantRequest) {
    if (req.id === 0) throw errors.invalid('lease id must be positive');
    if (this.state.leases.has(req.id)) throw errors.leaseExists();
    this.state.leases.grant(req.id, req.ttl);
    this.io.writeLease(req.id);
    return { header: { revision: this.state.revision }, id: req.id, ttl: req.ttl };
  }

  private leaseRevoke(req: LeaseRevokeRequest) {
    if (!this.state.leases.has(req.id)) throw errors.leaseNotFound();
    const tx = this.begin();
    for (const ik of this.state.leases.keysOf(req.id)) {
      const ki = this.state.index.get(ik);
      if (ki !== undefined) this.tombstone(tx, ki.key, this.options.wantPrevKv());
    }
    this.state.leases.remove(req.id);
    this.io.deleteLease(req.id);
    return { header: { revision: this.end(tx) } };
  }

  private leaseCheckpoint(req: LeaseCheckpointRequest) {
    for (const c of req.checkpoints) {
      if (this.state.leases.checkpoint(c.id, c.remainingTtl)) this.io.writeLease(c.id);
    }
    return { header: { revision: this.state.revision } };
  }
}

interface TxnPath {
  succeeded: boolean;
  /** Paths of the nested txns of the chosen branch, by op position. */
  nested: Map<number, TxnPath>;
}

type CompareSubject = Pick<
  KeyValue,
  'version' | 'createRevision' | 'modRevision' | 'value' | 'lease'
>;

function compareKv(c: Compare, s: CompareSubject | undefined): boolean {
  let diff: number;
  switch (c.target) {
    case CompareTarget.VALUE:
      diff = Buffer.compare(s?.value ?? EMPTY, asBuffer(c.value));
      break;
    case CompareTarget.VERSION:
      diff = (s?.version ?? 0) - (c.version ?? 0);
      break;
    case CompareTarget.CREATE:
      diff = (s?.createRevision ?? 0) - (c.createRevision ?? 0);
      break;
    case CompareTarget.MOD:
      diff = (s?.modRevision ?? 0) - (c.modRevision ?? 0);
      break;
    case CompareTarget.LEASE:
      diff = (s?.lease ?? 0) - (c.lease ?? 0);
      break;
    default:
      return false;
  }
  switch (c.result) {
    case CompareResult.EQUAL:
      return diff === 0;
    case CompareResult.NOT_EQUAL:
      return diff !== 0;
    case CompareResult.GREATER:
      return diff > 0;
    case CompareResult.LESS:
      return diff < 0;
    default:
      return false;
  }
}

function requireKey(key: Uint8Array | undefined): void {
  if (key === undefined || key.length === 0) throw errors.invalid('key is not provided');
}

/** etcd reports the txn's final revision in every nested response header. */
function stampHeaders(op: ResponseOp, revision: number): void {
  if ('responseRange' in op) op.responseRange.header.revision = revision;
  else if ('responsePut' in op) op.responsePut.header.revision = revision;
  else if ('responseDeleteRange' in op) op.responseDeleteRange.header.revision = revision;
  else {
    op.responseTxn.header.revision = revision;
    for (const r of op.responseTxn.responses) stampHeaders(r, revision);
  }
}
