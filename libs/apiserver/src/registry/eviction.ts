// pods/<name>/eviction (policy/v1 Eviction): deletes a pod unless a PodDisruptionBudget says the
// disruption is not allowed now (429, as Kubernetes answers, so `kubectl drain` retries). A
// disruption spent is recorded in the budget's status (disruptionsAllowed - 1, the pod in
// disruptedPods) with a resourceVersion precondition before the pod goes, so two evictions racing
// for the last allowed disruption cannot both win.
import {
  ApiError,
  apiErrors,
  findResource,
  isPlainObject,
  labelSelectorFromObject,
  matchesLabels,
  type KubeObject,
  type ResourceInfo,
} from '@flotilla/api';

export const EVICTION_VIOLATES_BUDGET =
  "Cannot evict pod as it would violate the pod's disruption budget.";

export function pdbResource(): ResourceInfo {
  const r = findResource('policy', 'v1', 'poddisruptionbudgets');
  if (!r) throw new Error('policy/v1 poddisruptionbudgets is not served');
  return r;
}

export function tooManyRequests(causeMessage: string): ApiError {
  return new ApiError(429, 'TooManyRequests', EVICTION_VIOLATES_BUDGET, {
    causes: [{ reason: 'DisruptionBudget', message: causeMessage }],
  });
}

/** The budgets whose selector matches the pod (a null selector matches nothing). */
export function budgetsFor(pod: KubeObject, budgets: KubeObject[]): KubeObject[] {
  return budgets.filter((pdb) => {
    const sel = isPlainObject(pdb.spec) ? pdb.spec.selector : undefined;
    if (!isPlainObject(sel)) return false;
    try {
      return matchesLabels(
        labelSelectorFromObject(sel as Parameters<typeof labelSelectorFromObject>[0]),
        pod.metadata.labels,
      );
    } catch {
      return false;
    }
  });
}

export function isPodReady(pod: KubeObject): boolean {
  const conditions = isPlainObject(pod.status) ? pod.status.conditions : undefined;
  return (
    Array.isArray(conditions) &&
    conditions.some((c) => isPlainObject(c) && c.type === 'Ready' && c.status === 'True')
  );
}

/** Pods a budget does not protect: finished, not started, or already going. */
export function evictableWithoutBudget(pod: KubeObject): boolean {
  const phase = isPlainObject(pod.status) ? pod.status.phase : undefined;
  return (
    phase === 'Succeeded' ||
    phase === 'Failed' ||
    phase === 'Pending' ||
    Boolean(pod.metadata.deletionTimestamp)
  );
}

export type BudgetDecision =
  { kind: 'delete' } | { kind: 'spend'; budget: KubeObject } | { kind: 'refuse'; error: ApiError };

/** What an eviction of `pod` may do, given the budgets of its namespace. */
export function decideEviction(pod: KubeObject, budgets: KubeObject[]): BudgetDecision {
  if (evictableWithoutBudget(pod)) return { kind: 'delete' };
  const matching = budgetsFor(pod, budgets);
  if (matching.length === 0) return { kind: 'delete' };
  if (matching.length > 1) {
    return {
      kind: 'refuse',
      error: apiErrors.internal(
        'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      ),
    };
  }
  const pdb = matching[0];
  const spec = isPlainObject(pdb.spec) ? pdb.spec : {};
  const status = isPlainObject(pdb.status) ? pdb.status : {};
  const current = Number(status.currentHealthy ?? 0);
  const desired = Number(status.desiredHealthy ?? 0);
  if (!isPodReady(pod)) {
    // An unhealthy pod does not count toward the budget: evicting it costs nothing when allowed.
    if (spec.unhealthyPodEvictionPolicy === 'AlwaysAllow') return { kind: 'delete' };
    if (current >= desired && desired > 0) return { kind: 'delete' };
  }
  const observed = Number(status.observedGeneration ?? 0);
  if (observed < Number(pdb.metadata.generation ?? 0)) {
    return {
      kind: 'refuse',
      error: tooManyRequests(
        `The disruption budget ${pdb.metadata.name} is still being processed by the server.`,
      ),
    };
  }
  if (Number(status.disruptionsAllowed ?? 0) <= 0) {
    return {
      kind: 'refuse',
      error: tooManyRequests(
        `The disruption budget ${pdb.metadata.name} needs ${desired} healthy pods and has ${current} currently`,
      ),
    };
  }
  return { kind: 'spend', budget: pdb };
}

/** The budget's status after one disruption is spent on `podName` at `now`. */
export function spendDisruption(pdb: KubeObject, podName: string, now: string): KubeObject {
  const status = isPlainObject(pdb.status) ? { ...pdb.status } : {};
  status.disruptionsAllowed = Number(status.disruptionsAllowed ?? 0) - 1;
  status.disruptedPods = {
    ...(isPlainObject(status.disruptedPods) ? status.disruptedPods : {}),
    [podName]: now,
  };
  return { ...pdb, status };
}
