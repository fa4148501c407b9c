// NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods that tolerate the
// node.kubernetes.io/unschedulable:NoSchedule taint.
import { toleratesTaint } from '../api/taints';
import { TAINT_NODE_UNSCHEDULABLE } from '../api/types';
import { ActionType, event, type ClusterEvent } from '../framework/events';
import type { EnqueueExtensions, FilterPlugin } from '../framework/interfaces';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import { Status, type Result } from '../framework/status';
import { PluginNames } from './names';

export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const ERR_REASON_UNKNOWN_CONDITION = 'node(s) had unknown conditions';
const UNSCHEDULABLE_TAINT = { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' };

export class NodeUnschedulable implements FilterPlugin, EnqueueExtensions {
  readonly name = PluginNames.NodeUnschedulable;

  filter(_state: unknown, pod: PodInfo, node: NodeInfo): Result {
    if (!node.node) return Status.unresolvable(ERR_REASON_UNKNOWN_CONDITION);
    if (!node.node.spec?.unschedulable) return null;
    const tolerated = (pod.pod.spec?.tolerations ?? []).some((t) =>
      toleratesTaint(t, UNSCHEDULABLE_TAINT),
    );
    return tolerated ? null : Status.unresolvable(ERR_REASON_UNSCHEDULABLE);
  }

  eventsToRegister(): ClusterEvent[] {
    return [
      event('Node', ActionType.Add | ActionType.UpdateNodeTaint, 'Node'),
      event('UnscheduledPod', ActionType.UpdatePodToleration, 'PodToleration'),
    ];
  }
}
