// One profile's plugins, ordered per extension point, and how each point runs them: PreFilter
// and Filter stop at the first plugin that turns the pod down; Score sums each plugin's
// normalized scores times its weight; the first Bind plugin that does not skip binds.
import type { Pod } from '../api/types';
import { CycleState } from './cycle-state';
import type { ClusterEvent } from './events';
import type {
  BindPlugin,
  EnqueueExtensions,
  FilterPlugin,
  Handle,
  Plugin,
  PostFilterPlugin,
  PostFilterResult,
  PreEnqueuePlugin,
  PreFilterPlugin,
  PreFilterResult,
  PreScorePlugin,
  QueuedPodInfo,
  QueueSortPlugin,
  ScorePlugin,
} from './interfaces';
import { MAX_NODE_SCORE } from './interfaces';
import type { NodeInfo } from './node-info';
import type { PodInfo } from './pod-info';
import { Code, Status, type Result } from './status';

export interface WeightedScorePlugin {
  plugin: ScorePlugin;
  weight: number;
}

export interface FrameworkPlugins {
  queueSort: QueueSortPlugin;
  preEnqueue: PreEnqueuePlugin[];
  preFilter: PreFilterPlugin[];
  filter: FilterPlugin[];
  postFilter: PostFilterPlugin[];
  preScore: PreScorePlugin[];
  score: WeightedScorePlugin[];
  bind: BindPlugin[];
  /** Every plugin instance of the profile (for their events). */
  all: Plugin[];
}

export class Framework {
  constructor(
    readonly profileName: string,
    readonly plugins: FrameworkPlugins,
    readonly handle: Handle,
    /** The profile's percentageOfNodesToScore (undefined: the scheduler's). */
    readonly percentageOfNodesToScore: number | undefined,
  ) {}

  get hasPostFilter(): boolean {
    return this.plugins.postFilter.length > 0;
  }

  less = (a: QueuedPodInfo, b: QueuedPodInfo): boolean => this.plugins.queueSort.less(a, b);

  runPreEnqueue(pod: Pod): Result {
    for (const p of this.plugins.preEnqueue) {
      const s = p.preEnqueue(pod);
      if (s) return s.withPlugin(p.name);
    }
    return null;
  }

  /** The events each plugin registered, by plugin name. */
  eventsByPlugin(): Map<string, ClusterEvent[]> {
    const out = new Map<string, ClusterEvent[]>();
    for (const p of this.plugins.all) {
      const ext = p as Partial<EnqueueExtensions>;
      if (typeof ext.eventsToRegister === 'function') out.set(p.name, ext.eventsToRegister());
    }
    return out;
  }

  runPreFilter(
    state: CycleState,
    pod: PodInfo,
    nodes: readonly NodeInfo[],
  ): { nodeNames?: Set<string>; status: Result } {
    let names: Set<string> | undefined;
    for (const p of this.plugins.preFilter) {
      let out: { result?: PreFilterResult; status: Result };
      try {
        out = p.preFilter(state, pod, nodes);
      } catch (err) {
        return {
          status: Status.error(`running PreFilter plugin "${p.name}": ${String(err)}`).withPlugin(
            p.name,
          ),
        };
      }
      if (out.status) {
        if (out.status.code === Code.Skip) {
          state.skipFilter.add(p.name);
          continue;
        }
        return { status: out.status.withPlugin(p.name) };
      }
      const r = out.result?.nodeNames;
      if (r) names = names ? new Set([...names].filter((n) => r.has(n))) : r;
    }
    return { nodeNames: names, status: null };
  }

  runFilter(state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    for (const p of this.plugins.filter) {
      if (state.skipFilter.size > 0 && state.skipFilter.has(p.name)) continue;
      const s = p.filter(state, pod, node);
      if (s) return s.plugin ? s : s.withPlugin(p.name);
    }
    return null;
  }

  /**
   * Filter, counting the pods nominated to this node with a priority at least the pod's as if they
   * ran there already (they were promised the room); passing must hold with and without them.
   */
  runFilterWithNominatedPods(state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    const nominated = this.handle.nominatedPodsForNode(node.name);
    if (nominated.length > 0) {
      let withPods: NodeInfo | undefined;
      let stateWith: CycleState | undefined;
      for (const other of nominated) {
        if (other.key === pod.key || other.priority < pod.priority) continue;
        if (!withPods) {
          withPods = node.clone();
          stateWith = state.clone();
        }
        withPods.addPod(other);
        const s = this.runPreFilterAddPod(stateWith!, pod, other, withPods);
        if (s) return s;
      }
      if (withPods) {
        const s = this.runFilter(stateWith!, pod, withPods);
        if (s) return s;
      }
    }
    return this.runFilter(state, pod, node);
  }

  runPreFilterAddPod(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Result {
    for (const p of this.plugins.preFilter) {
      if (!p.addPod || state.skipFilter.has(p.name)) continue;
      const s = p.addPod(state, pod, other, node);
      if (s) return s.withPlugin(p.name);
    }
    return null;
  }

  runPreFilterRemovePod(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Result {
    for (const p of this.plugins.preFilter) {
      if (!p.removePod || state.skipFilter.has(p.name)) continue;
      const s = p.removePod(state, pod, other, node);
      if (s) return s.withPlugin(p.name);
    }
    return null;
  }

  runPostFilter(
    state: CycleState,
    pod: PodInfo,
    statuses: ReadonlyMap<string, Status>,
  ): { result?: PostFilterResult; status: Result } {
    let last: { result?: PostFilterResult; status: Result } = {
      status: Status.unschedulable(),
    };
    for (const p of this.plugins.postFilter) {
      const out = p.postFilter(state, pod, statuses);
      if (!out.status) return out;
      if (!out.status.isRejected)
        return { result: out.result, status: out.status.withPlugin(p.name) };
      last = out;
    }
    return last;
  }

  /** Sum over score plugins of weight × normalized score, one entry per node. */
  runScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): number[] | Status {
    for (const p of this.plugins.preScore) {
      const s = p.preScore(state, pod, nodes);
      if (!s) continue;
      if (s.code === Code.Skip) state.skipScore.add(p.name);
      else return s.withPlugin(p.name);
    }
    const totals = new Array<number>(nodes.length).fill(0);
    const scores = new Array<number>(nodes.length);
    for (const { plugin, weight } of this.plugins.score) {
      if (state.skipScore.has(plugin.name)) continue;
      for (let i = 0; i < nodes.length; i++) scores[i] = plugin.score(state, pod, nodes[i]);
      if (plugin.normalizeScore) {
        const s = plugin.normalizeScore(state, pod, nodes, scores);
        if (s) return s.withPlugin(plugin.name);
      }
      for (let i = 0; i < nodes.length; i++) {
        const sc = scores[i];
        if (sc > MAX_NODE_SCORE || sc < 0)
          return Status.error(
            `plugin ${plugin.name} returns an invalid score ${sc}, it should in the range of [0, ${MAX_NODE_SCORE}] after normalizing`,
          );
        totals[i] += sc * weight;
      }
    }
    return totals;
  }

  async runBind(pod: Pod, nodeName: string): Promise<Result> {
    for (const p of this.plugins.bind) {
      const s = await p.bind(pod, nodeName);
      if (s && s.code === Code.Skip) continue;
      return s ? s.withPlugin(p.name) : null;
    }
    return Status.error('no bind plugin bound the pod');
  }
}

export function newCycleState(): CycleState {
  return new CycleState();
}
