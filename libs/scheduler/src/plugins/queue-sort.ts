// PrioritySort: higher priority first; among equals, the pod that entered the queue first.
import type { QueuedPodInfo, QueueSortPlugin } from '../framework/interfaces';
import { PluginNames } from './names';

export class PrioritySort implements QueueSortPlugin {
  readonly name = PluginNames.PrioritySort;

  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    const pa = a.podInfo.priority;
    const pb = b.podInfo.priority;
    return pa > pb || (pa === pb && a.timestamp < b.timestamp);
  }
}
