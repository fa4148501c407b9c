// What the workload controllers ask of a pod: is it still running (active), ready, available.
import type { Pod } from '@flotilla/client';

type Condition = { type?: string; status?: string; lastTransitionTime?: string };

/** Neither finished nor being deleted (kube's controller.IsPodActive). */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

export function podReadyCondition(pod: Pod): Condition | undefined {
  return (pod.status?.conditions as Condition[] | undefined)?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: Pod): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/** When the pod last became ready (ms since the epoch), or undefined when it is not ready. */
export function readySince(pod: Pod): number | undefined {
  const c = podReadyCondition(pod);
  if (c?.status !== 'True') return undefined;
  const t = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

/** Ready for at least `minReadySeconds` by `now` (kube's podutil.IsPodAvailable). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = readySince(pod);
  return since !== undefined && since + minReadySeconds * 1000 <= now;
}

/** How long until a ready pod becomes available (0 when it already is or never will be by waiting). */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, now: number): number {
  const since = readySince(pod);
  if (since === undefined || minReadySeconds <= 0) return 0;
  return Math.max(0, since + minReadySeconds * 1000 - now);
}

export function podRestarts(pod: Pod): number {
  let max = 0;
  for (const s of pod.status?.containerStatuses ?? []) max = Math.max(max, s.restartCount ?? 0);
  return max;
}
