// NodePorts: a pod asking for host ports fits only where those ports are free (an address of
// 0.0.0.0 conflicts with the port on every address).
import type { CycleState } from '../framework/cycle-state';
import { ActionType, event, type ClusterEvent } from '../framework/events';
import type {
  EnqueueExtensions,
  FilterPlugin,
  PreFilterPlugin,
  PreFilterResult,
} from '../framework/interfaces';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import { Status, type Result } from '../framework/status';
import { PluginNames } from './names';

export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";

export class NodePorts implements PreFilterPlugin, FilterPlugin, EnqueueExtensions {
  readonly name = PluginNames.NodePorts;

  preFilter(_state: CycleState, pod: PodInfo): { result?: PreFilterResult; status: Result } {
    return { status: pod.hostPorts.length === 0 ? Status.SKIP : null };
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    return node.portsConflict(pod.hostPorts) ? Status.unschedulable(ERR_REASON_PORTS) : null;
  }

  eventsToRegister(): ClusterEvent[] {
    return [
      event('AssignedPod', ActionType.Delete, 'AssignedPodDelete'),
      event('Node', ActionType.Add, 'NodeAdd'),
    ];
  }
}
