import type { KubeObject, ResourceInfo } from '@flotilla/api';
import {
  Compare,
  CompareResult,
  KeyValue,
  CompareTarget,
  RangeResponse,
  RequestOp,
  TxnResponse,
  prefixEnd,
} from '@flotilla/store';
import type { KvBackend } from './kv-backend';
import { decodeKv, encodeObject } from './object-codec';
import { storedFormOf, type StoredForm } from './stored-forms';

/** Extra compares and writes that must commit atomically with an object write (allocations). */
export interface TxnExtra {
  compares: Compare[];
  ops: RequestOp[];
  /** Keys whose current presence is reported when the transaction fails. */
  probeKeys: string[];
}

export const NO_EXTRA: TxnExtra = { compares: [], ops: [], probeKeys: [] };

export type WriteResult =
  | { ok: true; object: KubeObject; revision: number }
  /** `current`: the object as it is now (absent if gone); `present`: which probe keys exist. */
  | { ok: false; current?: KubeObject; present: Set<string> };

export interface ReadOptions {
  /** Read at this revision (410/compacted and future errors come from the store). */
  revision?: number;
  /** Skip the ReadIndex barrier: this member's applied state is enough. */
  serializable?: boolean;
}

export interface ListPage {
  items: KubeObject[];
  /** The revision the list was read at. */
  revision: number;
  /** Where the next page starts (a full key), when more objects remain. */
  nextKey?: string;
  /** Objects after this page, when known (no filter). */
  remaining?: number;
}

const LIST_BATCH = 1000;
/** Bounds a filtered paged list: a selector matching nothing must not read forever. */
const MAX_LIST_BATCHES = 100_000;

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/**
 * Objects as JSON under keys, with resourceVersion = the key's mod revision. A view made by
 * `for(r)` converts between what `r` serves and the form it is stored in.
 */
export class ObjectStore {
  private readonly views = new Map<string, ObjectStore>();

  constructor(
    readonly kv: KvBackend,
    private readonly form?: StoredForm,
    private readonly base?: ObjectStore,
  ) {}

  /** This store as resource `r` reads and writes it. */
  for(r: Pick<ResourceInfo, 'group' | 'plural'>): ObjectStore {
    if (this.base) return this.base.for(r);
    const form = storedFormOf(r);
    if (!form) return this;
    let view = this.views.get(form.name);
    if (!view) {
      view = new ObjectStore(this.kv, form, this);
      this.views.set(form.name, view);
    }
    return view;
  }

  private decode(kv: KeyValue): KubeObject {
    const stored = decodeKv(kv);
    return this.form ? this.form.fromStored(stored) : stored;
  }

  private encode(obj: KubeObject): Buffer {
    return encodeObject(this.form ? this.form.toStored(obj) : obj);
  }

  async get(key: string, opts: ReadOptions = {}): Promise<KubeObject | undefined> {
    const r = await this.kv.range({
      key: utf8(key),
      revision: opts.revision,
      serializable: opts.serializable,
    });
    return r.kvs.length > 0 ? this.decode(r.kvs[0]) : undefined;
  }

  /**
   * Lists the objects under `prefix` from `startKey` on, at one revision; with `limit`, stops
   * after that many matches and says where to continue.
   */
  async list(
    prefix: string,
    opts: ReadOptions & {
      startKey?: string;
      limit?: number;
      filter?: (o: KubeObject) => boolean;
    } = {},
  ): Promise<ListPage> {
    const end = prefixEnd(utf8(prefix));
    const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
    let start = utf8(opts.startKey ?? prefix);
    let revision = opts.revision;
    let serializable = opts.serializable;
    const items: KubeObject[] = [];
    for (let batch = 0; batch < MAX_LIST_BATCHES; batch++) {
      const want = limit === undefined ? 0 : opts.filter ? Math.max(LIST_BATCH, limit) : limit + 1;
      const r: RangeResponse = await this.kv.range({
        key: start,
        rangeEnd: end,
        revision,
        serializable,
        limit: want,
      });
      revision ??= r.header.revision;
      serializable = true; // later batches read the same revision
      for (let i = 0; i < r.kvs.length; i++) {
        const obj = this.decode(r.kvs[i]);
        if (opts.filter && !opts.filter(obj)) continue;
        if (limit !== undefined && items.length === limit) {
          const nextKey = r.kvs[i].key.toString('utf8');
          return opts.filter
            ? { items, revision, nextKey }
            : { items, revision, nextKey, remaining: r.count - limit };
        }
        items.push(obj);
      }
      if (!r.more || r.kvs.length === 0) return { items, revision };
      start = Buffer.concat([r.kvs[r.kvs.length - 1].key, Buffer.from([0])]);
    }
    return { items, revision: revision ?? this.kv.revision() };
  }

  async create(key: string, obj: KubeObject, extra: TxnExtra = NO_EXTRA): Promise<WriteResult> {
    return this.write(
      key,
      [
        {
          result: CompareResult.EQUAL,
          target: CompareTarget.CREATE,
          key: utf8(key),
          createRevision: 0,
        },
      ],
      [{ requestPut: { key: utf8(key), value: this.encode(obj) } }],
      obj,
      extra,
    );
  }

  /** Writes `obj` if the key's mod revision is still `modRevision`. */
  async update(
    key: string,
    obj: KubeObject,
    modRevision: number,
    extra: TxnExtra = NO_EXTRA,
  ): Promise<WriteResult> {
    return this.write(
      key,
      [{ result: CompareResult.EQUAL, target: CompareTarget.MOD, key: utf8(key), modRevision }],
      [{ requestPut: { key: utf8(key), value: this.encode(obj) } }],
      obj,
      extra,
    );
  }

  /** Deletes the key if its mod revision is still `modRevision`; `last` is what is returned. */
  async delete(
    key: string,
    last: KubeObject,
    modRevision: number,
    extra: TxnExtra = NO_EXTRA,
  ): Promise<WriteResult> {
    return this.write(
      key,
      [{ result: CompareResult.EQUAL, target: CompareTarget.MOD, key: utf8(key), modRevision }],
      [{ requestDeleteRange: { key: utf8(key) } }],
      last,
      extra,
    );
  }

  private async write(
    key: string,
    compares: Compare[],
    ops: RequestOp[],
    obj: KubeObject,
    extra: TxnExtra,
  ): Promise<WriteResult> {
    const probes = [key, ...extra.probeKeys];
    const r: TxnResponse = await this.kv.txn({
      compare: [...compares, ...extra.compares],
      success: [...ops, ...extra.ops],
      failure: probes.map((k) => ({ requestRange: { key: utf8(k) } })),
    });
    if (r.succeeded) {
      const revision = r.header.revision;
      return {
        ok: true,
        revision,
        object: { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } },
      };
    }
    const present = new Set<string>();
    let current: KubeObject | undefined;
    r.responses.forEach((resp, i) => {
      const range = (resp as { responseRange?: RangeResponse }).responseRange;
      if (!range || range.kvs.length === 0) return;
      present.add(probes[i]);
      if (i === 0) current = this.decode(range.kvs[0]);
    });
    return { ok: false, current, present };
  }
}
