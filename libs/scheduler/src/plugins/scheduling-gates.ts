// SchedulingGates: a pod with spec.schedulingGates waits, unattempted, until they are removed.
import type { Pod } from '../api/types';
import { ActionType, event, type ClusterEvent } from '../framework/events';
import type { EnqueueExtensions, PreEnqueuePlugin } from '../framework/interfaces';
import { Status, type Result } from '../framework/status';
import { PluginNames } from './names';

export class SchedulingGates implements PreEnqueuePlugin, EnqueueExtensions {
  readonly name = PluginNames.SchedulingGates;

  preEnqueue(pod: Pod): Result {
    const gates = pod.spec?.schedulingGates ?? [];
    if (gates.length === 0) return null;
    return Status.unresolvable(
      `waiting for scheduling gates: [${gates.map((g) => g.name).join(' ')}]`,
    );
  }

  eventsToRegister(): ClusterEvent[] {
    return [
      event('Pod', ActionType.UpdatePodSchedulingGatesEliminated, 'PodSchedulingGatesEliminated'),
    ];
  }
}
