import type { KubeObject } from '@flotilla/api';

/**
 * Handed to onDelete when the informer learned of a deletion only by its absence from a relist
 * (the watch missed the DELETED event, e.g. across a 410): `obj` is the last state it knew, which
 * may be stale (client-go's DeletedFinalStateUnknown).
 */
export class DeletedFinalStateUnknown<T extends KubeObject = KubeObject> {
  constructor(
    readonly key: string,
    readonly obj: T,
  ) {}
}

/** The object of a delete notification, whichever form it came in. */
export function finalStateOf<T extends KubeObject>(deleted: T | DeletedFinalStateUnknown<T>): T {
  return deleted instanceof DeletedFinalStateUnknown ? deleted.obj : deleted;
}
