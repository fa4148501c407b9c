// Cluster events, as the scheduling queue sees them: what changed (a node, a pod bound to a node,
// a pod waiting) and how. Each plugin names the events that could make a pod it turned down fit,
// so a change moves only the pods it could help, and at once rather than on a timer.

export enum ActionType {
  Add = 1 << 0,
  Delete = 1 << 1,
  UpdateNodeAllocatable = 1 << 2,
  UpdateNodeLabel = 1 << 3,
  UpdateNodeTaint = 1 << 4,
  UpdateNodeCondition = 1 << 5,
  UpdateNodeAnnotation = 1 << 6,
  UpdatePodLabel = 1 << 7,
  UpdatePodScaleDown = 1 << 8,
  UpdatePodToleration = 1 << 9,
  UpdatePodSchedulingGatesEliminated = 1 << 10,
  /** Any other change to a pod that is not only its status. */
  UpdatePodOther = 1 << 11,
}

export const UPDATE_ANY =
  ActionType.UpdateNodeAllocatable |
  ActionType.UpdateNodeLabel |
  ActionType.UpdateNodeTaint |
  ActionType.UpdateNodeCondition |
  ActionType.UpdateNodeAnnotation |
  ActionType.UpdatePodLabel |
  ActionType.UpdatePodScaleDown |
  ActionType.UpdatePodToleration |
  ActionType.UpdatePodSchedulingGatesEliminated |
  ActionType.UpdatePodOther;
export const ALL_ACTIONS = ActionType.Add | ActionType.Delete | UPDATE_ANY;

export type EventResource = 'Node' | 'AssignedPod' | 'UnscheduledPod' | 'Pod' | '*';

export interface ClusterEvent {
  resource: EventResource;
  /** One or more ActionType bits. */
  action: number;
  /** For metrics and logs, e.g. "NodeAdd". */
  label: string;
}

/** Whether `incoming` is one of the events `registered` asks for. */
export function eventMatches(registered: ClusterEvent, incoming: ClusterEvent): boolean {
  if (registered.resource === '*') return true;
  const resourceOk =
    registered.resource === incoming.resource ||
    (registered.resource === 'Pod' &&
      (incoming.resource === 'AssignedPod' || incoming.resource === 'UnscheduledPod'));
  return resourceOk && (registered.action & incoming.action) !== 0;
}

export const event = (resource: EventResource, action: number, label: string): ClusterEvent => ({
  resource,
  action,
  label,
});

export const NODE_ADD = event('Node', ActionType.Add, 'NodeAdd');
export const ASSIGNED_POD_ADD = event('AssignedPod', ActionType.Add, 'AssignedPodAdd');
export const ASSIGNED_POD_DELETE = event('AssignedPod', ActionType.Delete, 'AssignedPodDelete');
/** Every pod waiting is worth another try (a flush after a long wait, a failed binding). */
export const WILDCARD = event('*', ALL_ACTIONS, 'WildCard');
export const UNSCHEDULABLE_TIMEOUT = event('*', ALL_ACTIONS, 'UnschedulableTimeout');
