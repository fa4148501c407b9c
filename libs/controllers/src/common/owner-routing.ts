// Which owner an event on an owned object (a pod, a ReplicaSet) concerns, as kube's workload
// controllers route them: the controller its reference names (same uid, in the cache), or, for
// an orphan, every owner whose selector matches it (it may adopt it). A reference or label change
// wakes the old owner too, so it can release what left it; a deletion timestamp counts as a
// deletion. Expectations, when given, hear of creations and deletions of owned objects.
import { jsonEqual, matchesLabels, type KubeObject, type LabelSelector } from '@flotilla/api';
import {
  finalStateOf,
  objectKey,
  type DeletedFinalStateUnknown,
  type Lister,
  type ResourceEventHandler,
} from '@flotilla/client';
import { controllerRefOf } from './controller-ref';
import type { Expectations } from './expectations';

type OwnerLister<O extends KubeObject> = Pick<Lister<O>, 'get' | 'listInNamespace'>;

/** The cached controller of `obj` when its reference names one of `kind` with the same uid. */
export function resolveController<O extends KubeObject>(
  obj: KubeObject,
  kind: string,
  owners: OwnerLister<O>,
  ref = controllerRefOf(obj),
): O | undefined {
  if (!ref || ref.kind !== kind) return undefined;
  const owner = owners.get(ref.name, obj.metadata.namespace);
  return owner && owner.metadata.uid === ref.uid ? owner : undefined;
}

export interface OwnerRouting<O extends KubeObject, C extends KubeObject> {
  ownerKind: string;
  owners: OwnerLister<O>;
  enqueue: (owner: O) => void;
  /** The owner's selector, to route orphans to the owners that may adopt them; none: orphans are ignored. */
  selectorOf?: (owner: O) => LabelSelector | undefined;
  expectations?: Expectations;
  /** An owned object changed (after its owner was enqueued): for extra wake-ups (minReadySeconds). */
  onOwnedUpdate?: (old: C, cur: C, owner: O) => void;
}

/** Informer handlers for owned objects that enqueue the owners concerned. */
export function ownedObjectHandlers<O extends KubeObject, C extends KubeObject>(
  r: OwnerRouting<O, C>,
): ResourceEventHandler<C> {
  const resolve = (obj: C, ref = controllerRefOf(obj)) =>
    resolveController(obj, r.ownerKind, r.owners, ref);
  const selecting = (obj: C): O[] => {
    const selectorOf = r.selectorOf;
    if (!selectorOf) return [];
    return r.owners.listInNamespace(obj.metadata.namespace ?? '').filter((o) => {
      const sel = selectorOf(o);
      return sel !== undefined && matchesLabels(sel, obj.metadata.labels);
    });
  };
  const deleted = (d: C | DeletedFinalStateUnknown<C>) => {
    const obj = finalStateOf(d);
    const owner = resolve(obj);
    if (!owner) return;
    r.expectations?.deletionObserved(objectKey(owner), objectKey(obj));
    r.enqueue(owner);
  };
  return {
    onAdd(obj) {
      if (obj.metadata.deletionTimestamp) return deleted(obj);
      const ref = controllerRefOf(obj);
      if (ref) {
        const owner = resolve(obj, ref);
        if (!owner) return;
        r.expectations?.creationObserved(objectKey(owner));
        r.enqueue(owner);
        return;
      }
      for (const owner of selecting(obj)) r.enqueue(owner);
    },
    onUpdate(old, cur) {
      if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
      const labelsChanged = !jsonEqual(old.metadata.labels ?? {}, cur.metadata.labels ?? {});
      if (cur.metadata.deletionTimestamp) {
        deleted(cur);
        if (labelsChanged) deleted(old);
        return;
      }
      const curRef = controllerRefOf(cur);
      const oldRef = controllerRefOf(old);
      const refChanged = !jsonEqual(curRef ?? null, oldRef ?? null);
      if (refChanged && oldRef) {
        const owner = resolve(old, oldRef);
        if (owner) r.enqueue(owner);
      }
      if (curRef) {
        const owner = resolve(cur, curRef);
        if (!owner) return;
        r.enqueue(owner);
        r.onOwnedUpdate?.(old, cur, owner);
        return;
      }
      if (labelsChanged || refChanged) for (const owner of selecting(cur)) r.enqueue(owner);
    },
    onDelete: deleted,
  };
}
