// A ReplicaSet's status from the pods it controls (kube's calculateStatus): how many there are,
// how many carry every label of the template, are ready, are available (ready for
// minReadySeconds), and a ReplicaFailure condition while creating or deleting pods fails.
import { labelSelectorFromObject, matchesLabels } from '@flotilla/api';
import type { Pod, ReplicaSet, appsV1 } from '@flotilla/client';
import { isPodAvailable, isPodReady } from '../common/pods';
import { rfc3339 } from '../common/time';

export type ReplicaSetStatus = appsV1.ReplicaSetStatus;
type Condition = appsV1.ReplicaSetCondition;

export function calculateStatus(
  rs: ReplicaSet,
  pods: readonly Pod[],
  manageError: { reason: 'FailedCreate' | 'FailedDelete'; message: string } | undefined,
  now: number,
): ReplicaSetStatus {
  const templateLabels = labelSelectorFromObject({
    matchLabels: rs.spec?.template?.metadata?.labels ?? {},
  });
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    if (matchesLabels(templateLabels, pod.metadata.labels)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
    }
  }
  let conditions: Condition[] = [...(rs.status?.conditions ?? [])];
  const failure = conditions.find((c) => c.type === 'ReplicaFailure');
  if (manageError && !failure) {
    conditions.push({
      type: 'ReplicaFailure',
      status: 'True',
      reason: manageError.reason,
      message: manageError.message,
      lastTransitionTime: rfc3339(now),
    });
  } else if (!manageError && failure) {
    conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  }
  const status: ReplicaSetStatus = {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.status?.observedGeneration,
  };
  if (conditions.length > 0) status.conditions = conditions;
  return status;
}

/** Whether `next` says anything `rs.status` does not (observedGeneration aside). */
export function statusChanged(rs: ReplicaSet, next: ReplicaSetStatus): boolean {
  const cur: ReplicaSetStatus = rs.status ?? { replicas: 0 };
  return (
    (cur.replicas ?? 0) !== next.replicas ||
    (cur.fullyLabeledReplicas ?? 0) !== (next.fullyLabeledReplicas ?? 0) ||
    (cur.readyReplicas ?? 0) !== (next.readyReplicas ?? 0) ||
    (cur.availableReplicas ?? 0) !== (next.availableReplicas ?? 0) ||
    JSON.stringify(cur.conditions ?? []) !== JSON.stringify(next.conditions ?? []) ||
    cur.observedGeneration !== rs.metadata.generation
  );
}
