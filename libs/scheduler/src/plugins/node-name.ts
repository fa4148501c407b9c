// NodeName: a pod that names its node (spec.nodeName) fits that node only.
import { ActionType, event, type ClusterEvent } from '../framework/events';
import type { EnqueueExtensions, FilterPlugin } from '../framework/interfaces';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import { Status, type Result } from '../framework/status';
import { PluginNames } from './names';

export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

export class NodeName implements FilterPlugin, EnqueueExtensions {
  readonly name = PluginNames.NodeName;

  filter(_state: unknown, pod: PodInfo, node: NodeInfo): Result {
    const want = pod.pod.spec?.nodeName;
    if (!want || want === node.name) return null;
    return Status.unresolvable(ERR_REASON_NODE_NAME);
  }

  eventsToRegister(): ClusterEvent[] {
    return [event('Node', ActionType.Add, 'NodeAdd')];
  }
}
