import {
  APPLY_PATCH,
  apiErrors,
  applyPatch,
  JSON_PATCH,
  jsonEqual,
  matchesFields,
  matchesLabels,
  MERGE_PATCH,
  parseFieldSelector,
  parseLabelSelector,
  prepareForCreate,
  prepareForUpdate,
  STRATEGIC_MERGE_PATCH,
  validateCreate,
  validateUpdate,
  type KubeObject,
  type ResourceInfo,
} from '@flotilla/api';
import type {
  DeleteOptions,
  ListOptions,
  ListResult,
  PatchOptions,
  PatchType,
  ResourceOps,
  WatchEvent,
  WatchHandle,
  WatchOptions,
  WriteOptions,
} from '../contract';
import {
  clone,
  parseResourceVersion,
  resourceId,
  tooOld,
  type FakeCluster,
  type FakeVerb,
} from './fake-cluster';

const PATCH_MEDIA: Record<PatchType, string> = {
  merge: MERGE_PATCH,
  strategic: STRATEGIC_MERGE_PATCH,
  json: JSON_PATCH,
  apply: APPLY_PATCH,
};

interface ContinueToken {
  rv: number;
  after: string;
}

/** One resource (in one namespace, or all) of a FakeCluster, as ResourceOps. */
export class FakeResource<T extends KubeObject = KubeObject> implements ResourceOps<T> {
  private readonly id: string;

  constructor(
    private readonly cluster: FakeCluster,
    readonly info: ResourceInfo,
    readonly namespace: string | undefined,
    private readonly client: string,
  ) {
    this.id = resourceId(info);
  }

  get(name: string): Promise<T> {
    return this.call('get', () => this.getNow(name));
  }

  list(opts: ListOptions = {}): Promise<ListResult<T>> {
    return this.call('list', () => this.listNow(opts));
  }

  create(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.call('create', () => this.createNow(obj, opts));
  }

  update(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.call('update', () => this.replace(obj, undefined, opts));
  }

  updateStatus(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.call('updateStatus', () => this.replace(obj, 'status', opts));
  }

  patch(name: string, patch: unknown, type: PatchType, opts: PatchOptions = {}): Promise<T> {
    return this.call('patch', () => this.applyPatchTo(name, patch, type, undefined, opts));
  }

  patchStatus(name: string, patch: unknown, type: PatchType, opts: PatchOptions = {}): Promise<T> {
    return this.call('patchStatus', () => this.applyPatchTo(name, patch, type, 'status', opts));
  }

  delete(name: string, opts: DeleteOptions = {}): Promise<T | undefined> {
    return this.call('delete', () => this.deleteNow(name, opts));
  }

  watch(opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void): Promise<WatchHandle> {
    return this.call('watch', () =>
      this.cluster.openWatch(
        this.info,
        this.namespace,
        this.client,
        opts,
        onEvent as (e: WatchEvent) => void,
      ),
    );
  }

  /** A call as over a network: admitted (faults, latency there), done, answered (latency back). */
  private async call<R>(verb: FakeVerb, op: () => R): Promise<R> {
    await this.cluster.admit(verb, this.info, this.namespace, this.client);
    let result: R;
    try {
      result = op();
    } catch (err) {
      await this.cluster.answer(this.client);
      throw err;
    }
    await this.cluster.answer(this.client);
    return result;
  }

  private getNow(name: string): T {
    const o = this.cluster.store.get(this.id, this.key(this.namespace, name));
    if (!o) throw apiErrors.notFound(this.info, name);
    return clone(o) as T;
  }

  private listNow(opts: ListOptions): ListResult<T> {
    const labels = parseLabelSelector(opts.labelSelector ?? '');
    const fields = parseFieldSelector(opts.fieldSelector ?? '', this.info);
    let rv = this.cluster.store.revision;
    let after = '';
    if (opts.continue) {
      const token = decodeContinue(opts.continue);
      rv = token.rv;
      after = token.after;
    } else if (opts.resourceVersionMatch === 'Exact') {
      rv = parseResourceVersion(opts.resourceVersion) ?? rv;
    }
    const state = this.cluster.store.stateAt(this.id, rv);
    if (!state) {
      throw opts.continue
        ? apiErrors.gone(
            'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
          )
        : tooOld(rv, this.cluster.store.compacted);
    }
    const prefix = this.namespace === undefined ? '' : `${this.namespace}/`;
    const selected = state.filter(
      ([key, o]) =>
        key > after &&
        key.startsWith(prefix) &&
        matchesLabels(labels, o.metadata.labels) &&
        matchesFields(fields, o),
    );
    const limit = opts.limit && opts.limit > 0 ? opts.limit : selected.length;
    const page = selected.slice(0, limit);
    const more = selected.length > page.length;
    return {
      apiVersion: this.info.group ? `${this.info.group}/${this.info.version}` : this.info.version,
      kind: this.info.listKind,
      metadata: {
        resourceVersion: String(rv),
        ...(more
          ? {
              continue: encodeContinue({ rv, after: page[page.length - 1][0] }),
              remainingItemCount: selected.length - page.length,
            }
          : {}),
      },
      items: page.map(([, o]) => clone(o) as T),
    };
  }

  private createNow(obj: T, opts: WriteOptions): T {
    const namespace = this.writeNamespace(obj);
    const o = prepareForCreate(this.info, obj, {
      namespace,
      now: new Date(this.cluster.clock.now()),
      newUid: () => this.cluster.newUid(),
      randomSuffix: () => this.cluster.randomSuffix(),
    });
    validateCreate(this.info, o);
    const key = this.key(namespace, o.metadata.name!);
    if (this.cluster.store.get(this.id, key))
      throw apiErrors.alreadyExists(this.info, o.metadata.name!);
    if (opts.dryRun) return o as T;
    return this.write(key, o) as T;
  }

  private deleteNow(name: string, opts: DeleteOptions): T | undefined {
    const key = this.key(this.namespace, name);
    const current = this.cluster.store.get(this.id, key);
    if (!current) throw apiErrors.notFound(this.info, name);
    const pre = opts.preconditions;
    if (pre?.uid !== undefined && pre.uid !== current.metadata.uid) {
      throw apiErrors.conflict(
        this.info,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid ?? ''}`,
      );
    }
    if (
      pre?.resourceVersion !== undefined &&
      pre.resourceVersion !== current.metadata.resourceVersion
    ) {
      throw apiErrors.conflict(
        this.info,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion ?? ''}`,
      );
    }
    if (opts.dryRun) return clone(current) as T;
    if ((current.metadata.finalizers ?? []).length > 0) {
      if (current.metadata.deletionTimestamp) return clone(current) as T;
      const marked = clone(current);
      marked.metadata.deletionTimestamp = new Date(this.cluster.clock.now())
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z');
      marked.metadata.deletionGracePeriodSeconds = 0;
      return this.write(key, marked) as T;
    }
    return this.removeObject(key, current) as T;
  }

  // ---- the write path ----------------------------------------------------------------------------

  private replace(obj: T, subresource: 'status' | undefined, opts: WriteOptions): T {
    const name = obj.metadata?.name;
    if (!name) throw apiErrors.badRequest('name is required');
    const namespace = this.writeNamespace(obj);
    return this.commitUpdate(this.key(namespace, name), name, obj, subresource, opts.dryRun) as T;
  }

  private applyPatchTo(
    name: string,
    patch: unknown,
    type: PatchType,
    subresource: 'status' | undefined,
    opts: PatchOptions,
  ): T {
    if (type === 'apply') {
      throw apiErrors.unsupportedMediaType('the fake cluster does not implement server-side apply');
    }
    const key = this.key(this.namespace, name);
    const current = this.cluster.store.get(this.id, key);
    if (!current) throw apiErrors.notFound(this.info, name);
    const patched = applyPatch(PATCH_MEDIA[type], clone(current), patch, this.info);
    // A patch is unconditional unless it names a resourceVersion itself.
    if (patched.metadata.resourceVersion === undefined)
      patched.metadata.resourceVersion = current.metadata.resourceVersion;
    return this.commitUpdate(key, name, patched, subresource, opts.dryRun) as T;
  }

  private commitUpdate(
    key: string,
    name: string,
    obj: KubeObject,
    subresource: 'status' | undefined,
    dryRun: boolean | undefined,
  ): KubeObject {
    const current = this.cluster.store.get(this.id, key);
    if (!current) throw apiErrors.notFound(this.info, name);
    const wanted = obj.metadata.resourceVersion;
    if (wanted !== undefined && wanted !== '' && wanted !== current.metadata.resourceVersion) {
      throw apiErrors.conflict(this.info, name);
    }
    const next = prepareForUpdate(this.info, clone(obj), current, subresource);
    validateUpdate(this.info, next, current);
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    if (jsonEqual(next, current)) return clone(current); // a no-op writes nothing
    if (dryRun) return next;
    const emptied =
      next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0;
    return emptied ? this.removeObject(key, next) : this.write(key, next);
  }

  private write(key: string, o: KubeObject): KubeObject {
    const revision = this.cluster.store.nextRevision();
    const stored = clone(o);
    stored.metadata.resourceVersion = String(revision);
    this.cluster.publish(this.cluster.store.put(this.id, key, stored, revision));
    return clone(stored);
  }

  private removeObject(key: string, last: KubeObject): KubeObject {
    const revision = this.cluster.store.nextRevision();
    const final = clone(last);
    final.metadata.resourceVersion = String(revision);
    this.cluster.publish(this.cluster.store.remove(this.id, key, final, revision));
    return clone(final);
  }

  private writeNamespace(obj: KubeObject): string | undefined {
    if (!this.info.namespaced) return undefined;
    const ns = this.namespace ?? obj.metadata?.namespace;
    if (!ns) throw apiErrors.badRequest('an empty namespace may not be set during creation');
    if (obj.metadata?.namespace && obj.metadata.namespace !== ns) {
      throw apiErrors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    return ns;
  }

  private key(namespace: string | undefined, name: string): string {
    if (!this.info.namespaced) return name;
    if (!namespace) throw apiErrors.badRequest('a namespace is required for a namespaced resource');
    return `${namespace}/${name}`;
  }
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

function decodeContinue(text: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as ContinueToken;
    if (typeof t.rv === 'number' && typeof t.after === 'string') return t;
  } catch {
    // falls through to the error below
  }
  throw apiErrors.badRequest(
    'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
  );
}
