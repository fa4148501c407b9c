// Which pods a ReplicaSet deletes first when it has too many (kube's ActivePodsWithRanks, with
// LogarithmicScaleDown as in Kubernetes 1.32): unscheduled before scheduled, Pending before
// Unknown before Running, not ready before ready, lower controller.kubernetes.io/pod-deletion-cost
// first, pods on nodes crowded with pods of the same workload first, then the shortest ready,
// the most restarted, and the newest, comparing ages on a log2 scale so that pods of similar age
// count as equal and the choice among them is spread by uid.
import type { Pod } from '@flotilla/client';
import { isPodReady, podRestarts, readySince } from '../common/pods';

export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

export interface RankedPod {
  pod: Pod;
  /** Pods of the same workload on this pod's node (more: deleted sooner). */
  rank: number;
}

function deletionCost(pod: Pod): number {
  const text = pod.metadata.annotations?.[POD_DELETION_COST];
  if (text === undefined) return 0;
  const n = /^-?\d+$/.test(text) ? Number(text) : NaN;
  return Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 ? n : 0;
}

function created(pod: Pod): number | undefined {
  const t = pod.metadata.creationTimestamp ? Date.parse(pod.metadata.creationTimestamp) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

/** log2 of the age in nanoseconds, as an integer; -1 for no age. */
function logAge(t: number, now: number): number {
  const ns = (now - t) * 1e6;
  return ns > 0 ? Math.floor(Math.log2(ns)) : -1;
}

/**
 * Negative when `a` goes before `b` (is deleted sooner). `now` in ms; undefined times sort first
 * (a pod never ready, or without a creation time, is the least valuable).
 */
function compareTimes(a: number | undefined, b: number | undefined, now: number): number {
  if (a === undefined || b === undefined) return a === undefined ? (b === undefined ? 0 : -1) : 1;
  return logAge(a, now) - logAge(b, now);
}

export function compareForDeletion(x: RankedPod, y: RankedPod, now: number): number {
  const a = x.pod;
  const b = y.pod;
  const nodeA = a.spec?.nodeName ?? '';
  const nodeB = b.spec?.nodeName ?? '';
  if (nodeA !== nodeB && (nodeA === '' || nodeB === '')) return nodeA === '' ? -1 : 1;
  const phaseA = PHASE_ORDER[a.status?.phase ?? ''] ?? 0;
  const phaseB = PHASE_ORDER[b.status?.phase ?? ''] ?? 0;
  if (phaseA !== phaseB) return phaseA - phaseB;
  const readyA = isPodReady(a);
  const readyB = isPodReady(b);
  if (readyA !== readyB) return readyA ? 1 : -1;
  const costA = deletionCost(a);
  const costB = deletionCost(b);
  if (costA !== costB) return costA - costB;
  if (x.rank !== y.rank) return y.rank - x.rank;
  if (readyA && readyB) {
    const ra = readySince(a);
    const rb = readySince(b);
    if (ra !== rb) {
      const diff = compareTimes(ra, rb, now);
      if (diff !== 0) return diff;
      return byUid(a, b);
    }
  }
  const restartsA = podRestarts(a);
  const restartsB = podRestarts(b);
  if (restartsA !== restartsB) return restartsB - restartsA;
  const ca = created(a);
  const cb = created(b);
  if (ca !== cb) {
    const diff = compareTimes(ca, cb, now);
    if (diff !== 0) return diff;
    return byUid(a, b);
  }
  return 0;
}

function byUid(a: Pod, b: Pod): number {
  const ua = a.metadata.uid ?? '';
  const ub = b.metadata.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/**
 * The `n` pods to delete among `pods`, ranked against `related` (the active pods of every
 * ReplicaSet of the same owner, these included) by how many of them share each pod's node.
 */
export function podsToDelete(
  pods: readonly Pod[],
  related: readonly Pod[],
  n: number,
  now: number,
): Pod[] {
  if (n >= pods.length) return [...pods];
  const perNode = new Map<string, number>();
  for (const p of related) {
    const node = p.spec?.nodeName ?? '';
    if (node) perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const ranked: RankedPod[] = pods.map((pod) => {
    const node = pod.spec?.nodeName ?? '';
    return { pod, rank: node ? (perNode.get(node) ?? 0) : 0 };
  });
  ranked.sort((x, y) => compareForDeletion(x, y, now));
  return ranked.slice(0, n).map((r) => r.pod);
}
