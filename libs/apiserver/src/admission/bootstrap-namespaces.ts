import type { ObjectStore } from '../storage/object-store';
import { objectKey } from '../storage/key-layout';
import { BOOTSTRAP_NAMESPACES, namespaceObject } from './namespace-lifecycle';

const NAMESPACES = { group: '', plural: 'namespaces', namespaced: false };

/**
 * Creates default, kube-system, kube-public and kube-node-lease if missing. Every master may run
 * it; create-if-absent transactions make it idempotent. Returns the names it created.
 */
export async function ensureBootstrapNamespaces(
  store: ObjectStore,
  now: () => Date,
  newUid: () => string,
): Promise<string[]> {
  const created: string[] = [];
  for (const name of BOOTSTRAP_NAMESPACES) {
    const key = objectKey(NAMESPACES, undefined, name);
    if (await store.get(key, { serializable: true })) continue;
    const res = await store.create(key, namespaceObject(name, now(), newUid()));
    if (res.ok) created.push(name);
  }
  return created;
}
