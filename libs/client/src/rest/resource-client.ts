// ResourceOps over the REST API for one catalog resource: CRUD, the four patch types, status and
// scale subresources, pods/binding, paged lists, and watches decoded line by line.
import {
  ApiError,
  apiVersionOf,
  isPlainObject,
  KubeObject,
  PROTOBUF_MEDIA_TYPE,
  protobufMessageFor,
  ResourceInfo,
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
import { LineSplitter } from '../transport/line-splitter';
import type { HttpMethod, RestRequest, RestResponse } from '../transport/transport';
import { decodeBody, encodeProtobuf, JSON_MEDIA_TYPE, toApiError } from './codec';
import type { KubeClient } from './kube-client';
import { collectionPath, deleteBody, listQuery, objectPath, watchQuery, writeQuery } from './paths';
import { ResumableWatch, ResumeOptions, watchWithResume } from './resumable-watch';
import type { Binding, Scale } from './types';

export const PATCH_MEDIA_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface ListAllOptions extends Omit<ListOptions, 'limit' | 'continue'> {
  /** Items per page (default 500, as client-go's pager). */
  pageSize?: number;
}

export class ResourceClient<T extends KubeObject = KubeObject> implements ResourceOps<T> {
  private readonly apiVersion: string;
  /** Whether objects of this kind (and their lists) may travel in protobuf. */
  private readonly protobuf: boolean;

  constructor(
    private readonly client: KubeClient,
    readonly info: ResourceInfo,
    readonly namespace: string | undefined,
  ) {
    this.apiVersion = apiVersionOf(info);
    this.protobuf =
      client.protobuf &&
      protobufMessageFor(this.apiVersion, info.kind) !== undefined &&
      protobufMessageFor(this.apiVersion, info.listKind) !== undefined;
  }

  /** The same resource in another namespace. */
  inNamespace(namespace: string | undefined): ResourceClient<T> {
    return new ResourceClient<T>(this.client, this.info, namespace);
  }

  async get(name: string): Promise<T> {
    return this.call<T>('GET', this.path(name), { idempotent: true });
  }

  async list(opts: ListOptions = {}): Promise<ListResult<T>> {
    const list = await this.call<ListResult<T>>('GET', collectionPath(this.info, this.namespace), {
      query: listQuery(opts),
      idempotent: true,
    });
    list.items ??= [];
    list.metadata ??= { resourceVersion: '' };
    return list;
  }

  /**
   * Every item, page by page (a consistent snapshot: later pages are read at the first page's
   * resourceVersion). If the snapshot is compacted away mid-way (410), lists again in one go.
   */
  async listAll(opts: ListAllOptions = {}): Promise<ListResult<T>> {
    const { pageSize = 500, ...query } = opts;
    const items: T[] = [];
    let first: ListResult<T> | undefined;
    let token: string | undefined;
    for (let page = 0; page < 1_000_000; page++) {
      let result: ListResult<T>;
      try {
        result = await this.list({ ...query, limit: pageSize, continue: token });
      } catch (err) {
        if (token && err instanceof ApiError && err.code === 410) return this.list(query);
        throw err;
      }
      first ??= result;
      items.push(...result.items);
      token = result.metadata.continue;
      if (!token) break;
    }
    const { continue: _c, remainingItemCount: _r, ...metadata } = first!.metadata;
    return { ...first!, metadata, items };
  }

  async create(obj: T, opts: WriteOptions = {}): Promise<T> {
    const namespace = this.namespaceOf(obj);
    return this.call<T>('POST', collectionPath(this.info, namespace), {
      query: writeQuery(opts),
      object: obj,
      idempotent: false,
    });
  }

  async update(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.call<T>('PUT', this.path(nameOf(obj), undefined, obj), {
      query: writeQuery(opts),
      object: obj,
      idempotent: false,
    });
  }

  async updateStatus(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.call<T>('PUT', this.path(nameOf(obj), 'status', obj), {
      query: writeQuery(opts),
      object: obj,
      idempotent: false,
    });
  }

  async patch(name: string, patch: unknown, type: PatchType, opts: PatchOptions = {}): Promise<T> {
    return this.sendPatch(this.path(name), patch, type, opts);
  }

  async patchStatus(
    name: string,
    patch: unknown,
    type: PatchType,
    opts: PatchOptions = {},
  ): Promise<T> {
    return this.sendPatch(this.path(name, 'status'), patch, type, opts);
  }

  /** Server-side apply of a (partial) object under a field manager (the client's by default). */
  async apply(obj: T, opts: PatchOptions = {}): Promise<T> {
    const withKind = { apiVersion: this.apiVersion, kind: this.info.kind, ...obj };
    return this.sendPatch(this.path(nameOf(obj), undefined, obj), withKind, 'apply', opts);
  }

  async delete(name: string, opts: DeleteOptions = {}): Promise<T | undefined> {
    const body = deleteBody(opts);
    const out = await this.call<T | { kind?: string }>('DELETE', this.path(name), {
      json: body,
      idempotent: false,
    });
    return isPlainObject(out) && out.kind === 'Status' ? undefined : (out as T);
  }

  /** DELETE on the collection: every object matching the selectors (one request). */
  async deleteCollection(list: ListOptions = {}, opts: DeleteOptions = {}): Promise<void> {
    await this.call('DELETE', collectionPath(this.info, this.namespace), {
      query: listQuery(list),
      json: deleteBody(opts),
      idempotent: false,
      jsonAnswer: true,
    });
  }

  /**
   * PUT of namespaces/<name>/finalize: replaces the namespace's spec.finalizers (how the namespace
   * controller lets a namespace it has emptied go), with the resourceVersion as a precondition.
   */
  async finalize(obj: T, opts: WriteOptions = {}): Promise<T> {
    this.requireSubresource('finalize');
    return this.call<T>('PUT', this.path(nameOf(obj), 'finalize', obj), {
      query: writeQuery(opts),
      object: obj,
      idempotent: false,
    });
  }

  async getStatus(name: string): Promise<T> {
    return this.call<T>('GET', this.path(name, 'status'), { idempotent: true });
  }

  async getScale(name: string): Promise<Scale> {
    this.requireSubresource('scale');
    return this.call<Scale>('GET', this.path(name, 'scale'), {
      idempotent: true,
      jsonAnswer: true,
    });
  }

  async updateScale(name: string, scale: Scale, opts: WriteOptions = {}): Promise<Scale> {
    this.requireSubresource('scale');
    const body = { apiVersion: 'autoscaling/v1', kind: 'Scale', ...scale };
    body.metadata = { ...scale.metadata, name };
    return this.call<Scale>('PUT', this.path(name, 'scale'), {
      query: writeQuery(opts),
      json: body,
      idempotent: false,
      jsonAnswer: true,
    });
  }

  /**
   * Binds a pod to a node (pods/binding), as the scheduler does; with `uid`, only the pod of that
   * uid (409 Conflict if the name now belongs to another pod).
   */
  async bind(
    name: string,
    nodeName: string,
    opts: WriteOptions & { uid?: string } = {},
  ): Promise<void> {
    this.requireSubresource('binding');
    const { uid, ...write } = opts;
    const binding: Binding = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: {
        name,
        ...(this.namespace ? { namespace: this.namespace } : {}),
        ...(uid ? { uid } : {}),
      },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    };
    await this.call('POST', this.path(name, 'binding'), {
      query: writeQuery(write),
      json: binding,
      idempotent: false,
      jsonAnswer: true,
    });
  }

  /**
   * Opens a watch; resolves once the server accepted it (an ApiError when it refused). Events go to
   * `onEvent` in order; `done` rejects when the connection breaks (a master died), with the error.
   */
  async watch(opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void): Promise<WatchHandle> {
    let failure: Error | undefined;
    const opened: { stop?: () => void } = {};
    const fail = (err: Error) => {
      failure ??= err;
      opened.stop?.();
    };
    const splitter = new LineSplitter((line) => {
      if (failure) return;
      let event: WatchEvent<T>;
      try {
        event = JSON.parse(line) as WatchEvent<T>;
      } catch {
        fail(new Error(`a watch event that is not JSON: ${line.slice(0, 200)}`));
        return;
      }
      try {
        onEvent(event);
      } catch (err) {
        fail(err as Error);
      }
    });
    const opening = await this.client.openStream(
      {
        method: 'GET',
        path: collectionPath(this.info, this.namespace),
        query: watchQuery(opts),
        headers: { accept: JSON_MEDIA_TYPE },
        idempotent: true,
      },
      (chunk) => splitter.push(chunk),
    );
    if (opening.kind === 'response') throw toApiError(opening.response);
    const { stream } = opening;
    opened.stop = () => stream.stop();
    if (failure) stream.stop();
    const done = stream.done.then(() => {
      if (failure) throw failure;
    });
    done.catch(() => undefined);
    return { stop: () => stream.stop(), done };
  }

  /**
   * A watch that survives a master's death: when the stream breaks or the server ends it, it
   * watches again from the last resourceVersion seen (bookmarks included) on whichever master the
   * transport now uses, so no event is missed or repeated. `done` rejects with a 410 ApiError when
   * that version is compacted away (list again), or after too many failures in a row.
   */
  watchResumable(
    opts: WatchOptions,
    onEvent: (e: WatchEvent<T>) => void,
    resume: ResumeOptions = {},
  ): ResumableWatch {
    return watchWithResume<T>(this, opts, onEvent, resume);
  }

  private sendPatch(path: string, patch: unknown, type: PatchType, opts: PatchOptions): Promise<T> {
    const query = writeQuery(
      { ...opts, force: type === 'apply' ? opts.force : undefined },
      type === 'apply' ? this.client.fieldManager : undefined,
    );
    return this.call<T>('PATCH', path, {
      query,
      json: patch,
      contentType: PATCH_MEDIA_TYPES[type],
      // Applying the same configuration twice gives the same object: safe to send again.
      idempotent: type === 'apply',
    });
  }

  private async call<R>(
    method: HttpMethod,
    path: string,
    o: {
      query?: URLSearchParams;
      /** A whole object of this kind (may go as protobuf). */
      object?: KubeObject;
      /** Any other JSON body. */
      json?: unknown;
      contentType?: string;
      idempotent: boolean;
      /** The answer is not this kind (a Scale, a collection Status): always JSON. */
      jsonAnswer?: boolean;
    },
  ): Promise<R> {
    const headers: Record<string, string> = {
      accept: this.protobuf && !o.jsonAnswer ? PROTOBUF_MEDIA_TYPE : JSON_MEDIA_TYPE,
    };
    let body: Uint8Array | undefined;
    if (o.object) {
      const obj = { apiVersion: this.apiVersion, kind: this.info.kind, ...o.object };
      const proto = this.protobuf ? encodeProtobuf(obj) : undefined;
      body = proto ?? Buffer.from(JSON.stringify(obj));
      headers['content-type'] = proto ? PROTOBUF_MEDIA_TYPE : JSON_MEDIA_TYPE;
    } else if (o.json !== undefined) {
      body = Buffer.from(JSON.stringify(o.json));
      headers['content-type'] = o.contentType ?? JSON_MEDIA_TYPE;
    }
    const req: RestRequest = {
      method,
      path,
      query: o.query,
      headers,
      body,
      idempotent: o.idempotent,
    };
    const res: RestResponse = await this.client.send(req);
    if (res.status < 200 || res.status >= 300) throw toApiError(res);
    return decodeBody(res) as R;
  }

  private path(name: string, subresource?: string, obj?: KubeObject): string {
    return objectPath(this.info, this.namespaceOf(obj), name, subresource);
  }

  /** The namespace a request goes to: the client's, else the object's; required when namespaced. */
  private namespaceOf(obj?: KubeObject): string | undefined {
    if (!this.info.namespaced) return undefined;
    const ns = this.namespace ?? obj?.metadata?.namespace;
    if (!ns)
      throw new Error(
        `${this.info.plural} are namespaced: give the client a namespace (or the object one)`,
      );
    return ns;
  }

  private requireSubresource(sub: 'scale' | 'binding' | 'finalize'): void {
    if (!this.info.subresources.includes(sub))
      throw new Error(`${this.info.plural} have no ${sub} subresource`);
  }
}

function nameOf(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error(`${obj.kind ?? 'the object'} has no metadata.name`);
  return name;
}
