// The shapes every part of libs/client shares: how a resource is read, written and watched.
// The REST client implements ResourceOps over a transport; informers, leader election and the
// event recorder consume it, so each can be tested over any implementation.
import type { KubeObject, ResourceInfo } from '@flotilla/api';

/** Query of a list (and the first page of a paged list). */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface ListResult<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Where the watch starts; events after it are delivered. */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One watch event; for ERROR, `object` is a metav1.Status (410 Gone: the version is too old). */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

/** A running watch. `done` settles when the stream ends: resolved when stopped or closed by the
 *  server, rejected with the error that broke it. */
export interface WatchHandle {
  stop(): void;
  readonly done: Promise<void>;
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
}

export interface PatchOptions extends WriteOptions {
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

/**
 * One resource, in one namespace for namespaced resources (or across all when the namespace is
 * unset, for list and watch). Errors are `ApiError`s from @flotilla/api carrying the server's
 * Status (code 404 NotFound, 409 Conflict/AlreadyExists, 410 Expired/Gone, ...).
 */
export interface ResourceOps<T extends KubeObject = KubeObject> {
  readonly info: ResourceInfo;
  readonly namespace: string | undefined;
  get(name: string): Promise<T>;
  list(opts?: ListOptions): Promise<ListResult<T>>;
  create(obj: T, opts?: WriteOptions): Promise<T>;
  /** Carries metadata.resourceVersion as a precondition (409 Conflict when stale). */
  update(obj: T, opts?: WriteOptions): Promise<T>;
  updateStatus(obj: T, opts?: WriteOptions): Promise<T>;
  patch(name: string, patch: unknown, type: PatchType, opts?: PatchOptions): Promise<T>;
  patchStatus(name: string, patch: unknown, type: PatchType, opts?: PatchOptions): Promise<T>;
  /** The deleted object (or, with finalizers pending, the object as it now is). */
  delete(name: string, opts?: DeleteOptions): Promise<T | undefined>;
  watch(opts: WatchOptions, onEvent: (e: WatchEvent<T>) => void): Promise<WatchHandle>;
}

/** What an informer needs of a resource. */
export type ListerWatcher<T extends KubeObject = KubeObject> = Pick<
  ResourceOps<T>,
  'list' | 'watch'
>;
