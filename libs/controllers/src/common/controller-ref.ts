// Who controls an object, and a controller's claim on the objects its selector matches (kube's
// ControllerRefManager): it keeps those it controls and still matches, adopts matching orphans
// (after checking, against the server, that it is not being deleted itself), and releases those
// it controls that no longer match. Adoption and release are strategic-merge patches on
// metadata.ownerReferences (merge key uid) that carry the object's uid, so a patch can never land
// on a recreated object of the same name.
import {
  isApiError,
  matchesLabels,
  type KubeObject,
  type LabelSelector,
  type OwnerReference,
} from '@flotilla/api';
import type { IndexFunc, KubeClient, ResourceOps } from '@flotilla/client';

export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

export const CONTROLLER_UID_INDEX = 'controller-uid';

/** Objects by the uid of their controller; objects without one under "" (orphans). */
export const byControllerUid: IndexFunc = (obj) => [controllerRefOf(obj)?.uid ?? ''];

/** The owner reference a controller puts on what it creates or adopts. */
export function ownerRefTo(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export interface ClaimOptions<T extends KubeObject> {
  owner: KubeObject;
  /** apiVersion and kind of the owner, as its references name it. */
  ownerApiVersion: string;
  ownerKind: string;
  selector: LabelSelector;
  /** Where to patch the candidates (their namespace's resource). */
  ops: (namespace: string | undefined) => ResourceOps<T>;
  /**
   * A fresh read of the owner (not the cache): adoption goes ahead only if it still exists with
   * the same uid and is not being deleted. Asked at most once per claim.
   */
  recheckOwner: () => Promise<KubeObject | undefined>;
  /** Also skip candidates for which this is false (e.g. pods that finished). */
  filter?: (obj: T) => boolean;
}

/** The candidates this owner controls after adopting and releasing as needed. */
export async function claimObjects<T extends KubeObject>(
  candidates: readonly T[],
  o: ClaimOptions<T>,
): Promise<T[]> {
  const claimed: T[] = [];
  const ownerUid = o.owner.metadata.uid;
  const ownerDeleting = Boolean(o.owner.metadata.deletionTimestamp);
  let canAdopt: Promise<boolean> | undefined;
  const mayAdopt = () =>
    (canAdopt ??= o.recheckOwner().then(
      (fresh) => !!fresh && fresh.metadata.uid === ownerUid && !fresh.metadata.deletionTimestamp,
      () => false,
    ));
  const errors: unknown[] = [];
  for (const obj of candidates) {
    const ref = controllerRefOf(obj);
    const matches = matchesLabels(o.selector, obj.metadata.labels);
    if (ref) {
      if (ref.uid !== ownerUid) continue; // someone else's
      if (matches) {
        if (!o.filter || o.filter(obj)) claimed.push(obj);
        continue;
      }
      if (ownerDeleting) continue; // the garbage collector deals with it
      try {
        await release(obj, o);
      } catch (err) {
        errors.push(err);
      }
      continue;
    }
    if (!matches || ownerDeleting || obj.metadata.deletionTimestamp) continue;
    if (o.filter && !o.filter(obj)) continue;
    if (!(await mayAdopt())) continue;
    try {
      claimed.push(await adopt(obj, o));
    } catch (err) {
      if (isApiError(err) && err.code === 404) continue; // gone meanwhile
      errors.push(err);
    }
  }
  if (errors.length > 0) throw errors[0];
  return claimed;
}

async function adopt<T extends KubeObject>(obj: T, o: ClaimOptions<T>): Promise<T> {
  const ref = ownerRefTo(o.owner, o.ownerApiVersion, o.ownerKind);
  return o
    .ops(obj.metadata.namespace)
    .patch(
      obj.metadata.name!,
      { metadata: { ownerReferences: [ref], uid: obj.metadata.uid } },
      'strategic',
    );
}

async function release<T extends KubeObject>(obj: T, o: ClaimOptions<T>): Promise<void> {
  try {
    await o.ops(obj.metadata.namespace).patch(
      obj.metadata.name!,
      {
        metadata: {
          ownerReferences: [{ $patch: 'delete', uid: o.owner.metadata.uid }],
          uid: obj.metadata.uid,
        },
      },
      'strategic',
    );
  } catch (err) {
    // Gone, or recreated (uid mismatch is a 422): nothing of ours to release.
    if (isApiError(err) && (err.code === 404 || err.code === 422)) return;
    throw err;
  }
}

/** An informer's lister indexed by CONTROLLER_UID_INDEX (common/indexes). */
export interface ControllerUidLister<T> {
  byIndex(indexName: string, value: string): T[];
}

/**
 * The objects `owner` controls, claimed from an informer's cache: those it already controls and
 * the orphans of its namespace are the candidates; the owner is re-read with `client` before any
 * adoption (kube's RecheckDeletionTimestamp).
 */
export function claimOwned<T extends KubeObject>(
  client: KubeClient,
  lister: ControllerUidLister<T>,
  o: Omit<ClaimOptions<T>, 'recheckOwner'> & {
    /** Objects left out altogether: neither claimed, adopted nor released (inactive pods). */
    consider?: (obj: T) => boolean;
  },
): Promise<T[]> {
  const { namespace, name, uid } = o.owner.metadata;
  const candidates = [
    ...lister.byIndex(CONTROLLER_UID_INDEX, uid ?? ''),
    ...lister.byIndex(CONTROLLER_UID_INDEX, '').filter((c) => c.metadata.namespace === namespace),
  ].filter((c) => !o.consider || o.consider(c));
  return claimObjects(candidates, {
    ...o,
    recheckOwner: () => client.forKind(o.ownerApiVersion, o.ownerKind, namespace).get(name!),
  });
}
