// Deleting everything in a namespace, one resource at a time, and saying what is left: objects
// still there (pods in their grace period, objects held by finalizers) and the finalizers holding
// them, with an estimate of when pods in their grace period will be gone.
import { isApiError, type KubeObject, type ResourceInfo } from '@flotilla/api';
import type { KubeClient } from '@flotilla/client';

export interface DeletionOutcome {
  /** "pods.: has 2 resource instances" style counts of what is still there, per resource. */
  remaining: Map<string, number>;
  /** Finalizer → instances it still holds. */
  finalizers: Map<string, number>;
  /** What failed, per resource ("pods: ..."). */
  failures: string[];
  /** When the last pod in its grace period should be gone, ms from now (0: no such pod). */
  estimateMs: number;
}

/** kubectl's "pods." / "deployments.apps" naming of a resource in messages. */
export const resourceName = (r: ResourceInfo) => `${r.plural}.${r.group}`;

const ignorable = (err: unknown) =>
  isApiError(err) && (err.status.code === 404 || err.status.code === 405);

export async function deleteNamespaceContent(
  client: KubeClient,
  namespace: string,
  resources: readonly ResourceInfo[],
  now: number,
): Promise<DeletionOutcome> {
  const out: DeletionOutcome = {
    remaining: new Map(),
    finalizers: new Map(),
    failures: [],
    estimateMs: 0,
  };
  for (const info of resources) {
    const rc = client.resource<KubeObject>(info, namespace);
    try {
      let collected = false;
      if (info.verbs.includes('deletecollection')) {
        try {
          await rc.deleteCollection();
          collected = true;
        } catch (err) {
          if (!ignorable(err)) throw err;
        }
      }
      let left = (await rc.list()).items;
      if (!collected) {
        for (const obj of left) {
          if (obj.metadata.deletionTimestamp) continue;
          try {
            await rc.delete(obj.metadata.name!);
          } catch (err) {
            if (!ignorable(err)) throw err;
          }
        }
        left = (await rc.list()).items;
      }
      if (left.length === 0) continue;
      out.remaining.set(resourceName(info), left.length);
      for (const obj of left) {
        for (const f of obj.metadata.finalizers ?? []) {
          out.finalizers.set(f, (out.finalizers.get(f) ?? 0) + 1);
        }
        // Pods in their grace period go once their kubelet is done: wait at most that long.
        const ts = obj.metadata.deletionTimestamp;
        if (info.group === '' && info.plural === 'pods' && ts) {
          out.estimateMs = Math.max(out.estimateMs, Date.parse(ts) - now);
        }
      }
    } catch (err) {
      out.failures.push(`${resourceName(info)}: ${String(err)}`);
    }
  }
  return out;
}
