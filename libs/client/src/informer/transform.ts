// What an informer may do to each object before caching it (client-go's SetTransform): drop what
// no handler reads, so it is neither frozen nor kept. managedFields is the usual one: a third of
// a typical object's bytes and most of its small nested objects, read by no controller.
import type { KubeObject } from '@flotilla/api';

/** Changes a freshly decoded object (its own, not shared) before it is cached; returns it. */
export type ObjectTransform<T extends KubeObject = KubeObject> = (obj: T) => T;

/** Removes metadata.managedFields (client-go's TransformStripManagedFields). */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata && obj.metadata.managedFields !== undefined) delete obj.metadata.managedFields;
  return obj;
}
