// NodeAffinity: a pod's nodeSelector and required node affinity must hold on the node (and the
// profile's addedAffinity, if configured); preferred terms add their weight to matching nodes.
import { NodeSelector, RequiredNodeAffinity } from '../api/node-selector';
import type { NodeSelectorTerm } from '../api/types';
import type { CycleState, StateData } from '../framework/cycle-state';
import { ActionType, event, type ClusterEvent } from '../framework/events';
import type {
  EnqueueExtensions,
  FilterPlugin,
  PreFilterPlugin,
  PreFilterResult,
  PreScorePlugin,
  ScorePlugin,
} from '../framework/interfaces';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import { Status, type Result } from '../framework/status';
import { PluginNames } from './names';
import { defaultNormalizeScore } from './normalize';

export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity";

const PRE_FILTER_KEY = 'PreFilter' + PluginNames.NodeAffinity;
const PRE_SCORE_KEY = 'PreScore' + PluginNames.NodeAffinity;

export interface NodeAffinityArgs {
  /** Applied to every pod of the profile (NodeAffinityArgs.addedAffinity). */
  addedAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] };
    preferredDuringSchedulingIgnoredDuringExecution?: {
      weight: number;
      preference: NodeSelectorTerm;
    }[];
  };
}

class Required implements StateData {
  constructor(readonly affinity: RequiredNodeAffinity) {}
  clone(): StateData {
    return this;
  }
}

interface WeightedSelector {
  weight: number;
  selector: NodeSelector;
}

class Preferred implements StateData {
  constructor(readonly terms: WeightedSelector[]) {}
  clone(): StateData {
    return this;
  }
}

export class NodeAffinity
  implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions
{
  readonly name = PluginNames.NodeAffinity;
  private readonly addedRequired: NodeSelector | undefined;
  private readonly addedPreferred: WeightedSelector[];

  constructor(args: NodeAffinityArgs = {}) {
    const added = args.addedAffinity;
    const req = added?.requiredDuringSchedulingIgnoredDuringExecution;
    this.addedRequired = req ? new NodeSelector(req.nodeSelectorTerms ?? []) : undefined;
    this.addedPreferred = (added?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map(
      (t) => ({ weight: t.weight, selector: new NodeSelector([t.preference]) }),
    );
  }

  preFilter(state: CycleState, pod: PodInfo): { result?: PreFilterResult; status: Result } {
    const affinity = new RequiredNodeAffinity(pod.pod);
    if (affinity.isEmpty && !this.addedRequired) return { status: Status.SKIP };
    state.write(PRE_FILTER_KEY, new Required(affinity));
    const names = affinity.nodeNames();
    return { result: names ? { nodeNames: names } : undefined, status: null };
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    if (!node.node) return Status.unresolvable('node not found');
    if (this.addedRequired && !this.addedRequired.matches(node.node))
      return Status.unresolvable(ERR_REASON_ENFORCED);
    const affinity =
      state.read<Required>(PRE_FILTER_KEY)?.affinity ?? new RequiredNodeAffinity(pod.pod);
    return affinity.matches(node.node) ? null : Status.unresolvable(ERR_REASON_POD);
  }

  preScore(state: CycleState, pod: PodInfo): Result {
    const preferred =
      pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    if (preferred.length === 0 && this.addedPreferred.length === 0) return Status.SKIP;
    const terms = preferred
      .filter((t) => t.weight !== 0)
      .map((t) => ({ weight: t.weight, selector: new NodeSelector([t.preference]) }));
    state.write(PRE_SCORE_KEY, new Preferred([...this.addedPreferred, ...terms]));
    return null;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const s = state.read<Preferred>(PRE_SCORE_KEY);
    if (!s || !node.node) return 0;
    let total = 0;
    for (const t of s.terms) if (t.selector.matches(node.node)) total += t.weight;
    return total;
  }

  normalizeScore(_s: CycleState, _p: PodInfo, _n: readonly NodeInfo[], scores: number[]): Result {
    defaultNormalizeScore(scores, false);
    return null;
  }

  eventsToRegister(): ClusterEvent[] {
    return [event('Node', ActionType.Add | ActionType.UpdateNodeLabel, 'Node')];
  }
}
