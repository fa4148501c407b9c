// What an informer may do to each object before caching it (client-go's SetTransform): drop what
// no handler reads, so it is neither frozen nor kept. managedFields is the usual one: a third of
// a typical object's bytes and most of its small nested objects, read by no controller.
import type { KubeObject } from '@flotilla/api';

/** Changes a freshly decoded object (its own, not shared) before it is cached; returns it. */
export type ObjectTransform<T extends KubeObject = KubeObject> = (obj: T) => T;

/**
 * Removes metadata.managedFields (client-go's TransformStripManagedFields). The metadata is
 * copied without the field rather than `delete`d from: deleting a property other than the last
 * one added turns an object into a slow dictionary in V8, larger in the cache and slower for
 * every reader, and our API server writes managedFields before resourceVersion.
 */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  const metadata = obj.metadata;
  if (!metadata || metadata.managedFields === undefined) return obj;
  const { managedFields: _dropped, ...lean } = metadata;
  obj.metadata = lean;
  return obj;
}
