// The node lifecycle controller's writes: taints swapped on a node, conditions set to Unknown,
// pods marked not ready. Each carries the resourceVersion it was computed from; on a conflict
// it reads the object again and recomputes, a few times, as Kubernetes' helpers do.
import { isApiError } from '@flotilla/api';
import type { Node, Pod, ResourceOps } from '@flotilla/client';
import { timestamp } from './node-health';
import { sameTaint, type Taint } from './taints';

const ATTEMPTS = 5;

const isConflict = (err: unknown) => isApiError(err) && err.status.code === 409;
const isNotFound = (err: unknown) => isApiError(err) && err.status.code === 404;

/**
 * Adds `add` and removes `remove` from the node's taints (NoExecute ones added get timeAdded).
 * Starts from `cached`, reads the node again after a conflict. False when nothing had to
 * change or the node is gone.
 */
export async function swapTaints(
  nodes: ResourceOps<Node>,
  cached: Node,
  add: readonly Taint[],
  remove: readonly Taint[],
  now: () => number,
): Promise<boolean> {
  let node: Node | undefined = cached;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (!node) {
      try {
        node = await nodes.get(cached.metadata.name!);
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    }
    const before = node.spec?.taints ?? [];
    let next = before.filter((t) => !remove.some((r) => sameTaint(r, t)));
    for (const t of add) {
      if (next.some((x) => sameTaint(x, t))) continue;
      next = [...next, t.effect === 'NoExecute' ? { ...t, timeAdded: timestamp(now()) } : { ...t }];
    }
    if (sameTaintList(before, next)) return false;
    try {
      await nodes.patch(
        node.metadata.name!,
        {
          metadata: { resourceVersion: node.metadata.resourceVersion },
          spec: { taints: next.length > 0 ? next : null },
        },
        'merge',
      );
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      if (!isConflict(err)) throw err;
      node = undefined;
    }
  }
  throw new Error(`node ${cached.metadata.name} kept changing while its taints were written`);
}

function sameTaintList(a: readonly Taint[], b: readonly Taint[]): boolean {
  return a.length === b.length && a.every((t) => b.some((x) => sameTaint(x, t)));
}

/**
 * Sets the pods' Ready condition to False (Kubernetes' MarkPodsNotReady), each with its
 * resourceVersion as a precondition. Returns the pods it changed; throws the first failure
 * other than a pod that went away, after trying them all.
 */
export async function markPodsNotReady(
  podsIn: (namespace: string) => ResourceOps<Pod>,
  pods: readonly Pod[],
  nodeName: string,
  now: () => number,
): Promise<Pod[]> {
  const changed: Pod[] = [];
  let failure: unknown;
  for (const pod of pods) {
    if (pod.spec?.nodeName !== nodeName) continue;
    const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
    if (!ready || ready.status === 'False') continue;
    try {
      await podsIn(pod.metadata.namespace!).patchStatus(
        pod.metadata.name!,
        {
          metadata: { resourceVersion: pod.metadata.resourceVersion },
          status: {
            conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: timestamp(now()) }],
          },
        },
        'strategic',
      );
      changed.push(pod);
    } catch (err) {
      if (!isNotFound(err)) failure ??= err;
    }
  }
  if (failure) throw failure;
  return changed;
}
