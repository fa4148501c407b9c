// URL paths and query strings of the Kubernetes REST API for a catalog resource.
import type { ResourceInfo } from '@flotilla/api';
import type { DeleteOptions, ListOptions, WatchOptions, WriteOptions } from '../contract';

export function collectionPath(info: ResourceInfo, namespace: string | undefined): string {
  const root = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  return info.namespaced && namespace !== undefined
    ? `${root}/namespaces/${encodeURIComponent(namespace)}/${info.plural}`
    : `${root}/${info.plural}`;
}

export function objectPath(
  info: ResourceInfo,
  namespace: string | undefined,
  name: string,
  subresource?: string,
): string {
  if (name === '') throw new Error(`a ${info.kind} needs a name`);
  const path = `${collectionPath(info, namespace)}/${encodeURIComponent(name)}`;
  return subresource ? `${path}/${subresource}` : path;
}

export function listQuery(opts: ListOptions = {}): URLSearchParams {
  const q = new URLSearchParams();
  if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
  if (opts.fieldSelector) q.set('fieldSelector', opts.fieldSelector);
  if (opts.limit !== undefined) q.set('limit', String(opts.limit));
  if (opts.continue) q.set('continue', opts.continue);
  if (opts.resourceVersion !== undefined) q.set('resourceVersion', opts.resourceVersion);
  if (opts.resourceVersionMatch) q.set('resourceVersionMatch', opts.resourceVersionMatch);
  return q;
}

export function watchQuery(opts: WatchOptions): URLSearchParams {
  const q = new URLSearchParams({ watch: 'true' });
  if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
  if (opts.fieldSelector) q.set('fieldSelector', opts.fieldSelector);
  if (opts.resourceVersion !== undefined) q.set('resourceVersion', opts.resourceVersion);
  if (opts.allowWatchBookmarks) q.set('allowWatchBookmarks', 'true');
  if (opts.timeoutSeconds !== undefined) q.set('timeoutSeconds', String(opts.timeoutSeconds));
  return q;
}

export function writeQuery(
  opts: WriteOptions & { force?: boolean } = {},
  fieldManager?: string,
): URLSearchParams {
  const q = new URLSearchParams();
  if (opts.dryRun) q.set('dryRun', 'All');
  const manager = opts.fieldManager ?? fieldManager;
  if (manager) q.set('fieldManager', manager);
  if (opts.force !== undefined) q.set('force', String(opts.force));
  return q;
}

/** The DeleteOptions body Kubernetes reads (it also takes them as query parameters). */
export function deleteBody(opts: DeleteOptions = {}): Record<string, unknown> | undefined {
  const body: Record<string, unknown> = {};
  if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
  if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
  if (opts.preconditions) body.preconditions = opts.preconditions;
  if (opts.dryRun) body.dryRun = ['All'];
  if (Object.keys(body).length === 0) return undefined;
  return { kind: 'DeleteOptions', apiVersion: 'v1', ...body };
}
