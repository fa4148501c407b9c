// Which parts of a node changed, as the queue's cluster events name them (kube-scheduler's
// nodeSchedulingPropertiesChange): only these can make a waiting pod fit.
import type { Node } from '../api/types';
import { ActionType } from '../framework/events';

const same = (a: unknown, b: unknown): boolean =>
  a === b || JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function conditionStatuses(n: Node): string {
  return (n.status?.conditions ?? [])
    .map((c) => `${c.type}=${c.status}`)
    .sort()
    .join(',');
}

/** The ActionType bits of what changed from `a` to `b` (0: nothing the scheduler reads). */
export function nodeChange(a: Node, b: Node): number {
  let action = 0;
  if (!same(a.status?.allocatable, b.status?.allocatable))
    action |= ActionType.UpdateNodeAllocatable;
  if (!same(a.metadata.labels, b.metadata.labels)) action |= ActionType.UpdateNodeLabel;
  if (!same(a.spec?.taints, b.spec?.taints) || !!a.spec?.unschedulable !== !!b.spec?.unschedulable)
    action |= ActionType.UpdateNodeTaint;
  if (conditionStatuses(a) !== conditionStatuses(b)) action |= ActionType.UpdateNodeCondition;
  if (!same(a.metadata.annotations, b.metadata.annotations))
    action |= ActionType.UpdateNodeAnnotation;
  return action;
}
