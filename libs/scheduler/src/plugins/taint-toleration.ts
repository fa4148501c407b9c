// TaintToleration: a node's NoSchedule and NoExecute taints keep off pods that do not tolerate
// them; each PreferNoSchedule taint a pod does not tolerate makes the node less attractive.
import { firstUntolerated, isTolerated } from '../api/taints';
import type { Taint, Toleration } from '../api/types';
import type { CycleState, StateData } from '../framework/cycle-state';
import { ActionType, event, type ClusterEvent } from '../framework/events';
import type {
  EnqueueExtensions,
  FilterPlugin,
  PreScorePlugin,
  ScorePlugin,
} from '../framework/interfaces';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import { Status, type Result } from '../framework/status';
import { PluginNames } from './names';
import { defaultNormalizeScore } from './normalize';

const STATE_KEY = 'PreScore' + PluginNames.TaintToleration;
const hardEffect = (t: Taint) => t.effect === 'NoSchedule' || t.effect === 'NoExecute';

class PreScoreState implements StateData {
  constructor(readonly tolerationsPreferNoSchedule: Toleration[]) {}
  clone(): StateData {
    return this;
  }
}

export class TaintToleration
  implements FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions
{
  readonly name = PluginNames.TaintToleration;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    const taint = firstUntolerated(node.taints, pod.pod.spec?.tolerations, hardEffect);
    if (!taint) return null;
    return Status.unresolvable(
      `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`,
    );
  }

  preScore(state: CycleState, pod: PodInfo): Result {
    const tolerations = (pod.pod.spec?.tolerations ?? []).filter(
      (t) => !t.effect || t.effect === 'PreferNoSchedule',
    );
    state.write(STATE_KEY, new PreScoreState(tolerations));
    return null;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const s = state.read<PreScoreState>(STATE_KEY)!;
    let intolerable = 0;
    for (const taint of node.taints) {
      if (taint.effect !== 'PreferNoSchedule') continue;
      if (!isTolerated(taint, s.tolerationsPreferNoSchedule)) intolerable++;
    }
    return intolerable;
  }

  normalizeScore(_s: CycleState, _p: PodInfo, _n: readonly NodeInfo[], scores: number[]): Result {
    defaultNormalizeScore(scores, true);
    return null;
  }

  eventsToRegister(): ClusterEvent[] {
    return [
      event('Node', ActionType.Add | ActionType.UpdateNodeTaint, 'Node'),
      event('UnscheduledPod', ActionType.UpdatePodToleration, 'PodToleration'),
    ];
  }
}
