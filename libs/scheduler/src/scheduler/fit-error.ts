// The message of a pod that fits nowhere, worded as kube-scheduler words it, e.g.
// "0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {dedicated: gpu}.
//  preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.."
import type { Status } from '../framework/status';

export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

export function fitErrorMessage(
  numAllNodes: number,
  preFilterMsg: string,
  statuses: ReadonlyMap<string, Status>,
  postFilterMsg: string,
): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (preFilterMsg) msg += ` ${preFilterMsg}.`;
  else {
    const histogram = new Map<string, number>();
    for (const status of statuses.values())
      for (const reason of status.reasons) histogram.set(reason, (histogram.get(reason) ?? 0) + 1);
    const parts = [...histogram].map(([reason, n]) => `${n} ${reason}`).sort();
    if (parts.length > 0) msg += ` ${parts.join(', ')}.`;
  }
  if (postFilterMsg) msg += ` ${postFilterMsg}.`;
  return msg;
}

/** A scheduling attempt that found no node: what the message and the queue need. */
export class FitError {
  postFilterMsg = '';

  constructor(
    readonly numAllNodes: number,
    readonly statuses: Map<string, Status>,
    readonly unschedulablePlugins: Set<string>,
    readonly preFilterMsg = '',
  ) {}

  get message(): string {
    return fitErrorMessage(this.numAllNodes, this.preFilterMsg, this.statuses, this.postFilterMsg);
  }
}
