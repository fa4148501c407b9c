// NodeResourcesBalancedAllocation: favours nodes where, with the pod, cpu and memory (by default)
// would be used in even proportion. Pods that request nothing are not scored by it (otherwise
// they would pile onto one node).
import type { CycleState, StateData } from '../../framework/cycle-state';
import type { PreScorePlugin, ScorePlugin } from '../../framework/interfaces';
import type { NodeInfo } from '../../framework/node-info';
import type { PodInfo } from '../../framework/pod-info';
import { Status, type Result } from '../../framework/status';
import { PluginNames } from '../names';
import {
  allocation,
  balancedScorer,
  DEFAULT_RESOURCES,
  type ResourceSpec,
} from './resource-allocation';

export interface BalancedAllocationArgs {
  resources?: ResourceSpec[];
}

const PRE_SCORE_KEY = 'PreScore' + PluginNames.NodeResourcesBalancedAllocation;

class PreScoreState implements StateData {
  constructor(readonly podRequests: number[]) {}
  clone(): StateData {
    return this;
  }
}

export class BalancedAllocation implements PreScorePlugin, ScorePlugin {
  readonly name = PluginNames.NodeResourcesBalancedAllocation;
  private readonly resources: readonly ResourceSpec[];

  constructor(args: BalancedAllocationArgs = {}) {
    this.resources = args.resources?.length ? args.resources : DEFAULT_RESOURCES;
  }

  preScore(state: CycleState, pod: PodInfo): Result {
    const req = this.resources.map((r) => pod.requests.get(r.name));
    if (req.every((v) => v === 0)) return Status.SKIP;
    state.write(PRE_SCORE_KEY, new PreScoreState(req));
    return null;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const req =
      state.read<PreScoreState>(PRE_SCORE_KEY)?.podRequests ??
      this.resources.map((r) => pod.requests.get(r.name));
    const { requested, allocatable } = allocation(node, this.resources, req, true);
    return balancedScorer(requested, allocatable);
  }
}
