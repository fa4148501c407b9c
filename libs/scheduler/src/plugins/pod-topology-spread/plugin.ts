// PodTopologySpread: DoNotSchedule constraints refuse a node when placing the pod there would
// make its domain's count of matching pods exceed the least-loaded domain's by more than maxSkew
// (the least counts as 0 while there are fewer domains than minDomains); ScheduleAnyway
// constraints, and the default ones, score nodes in less crowded domains higher.
import { matchesLabels } from '@flotilla/api';
import { RequiredNodeAffinity } from '../../api/node-selector';
import { LABEL_HOSTNAME } from '../../api/types';
import type { CycleState, StateData } from '../../framework/cycle-state';
import { ActionType, event, type ClusterEvent } from '../../framework/events';
import {
  MAX_NODE_SCORE,
  type EnqueueExtensions,
  type FilterPlugin,
  type Handle,
  type PreFilterPlugin,
  type PreFilterResult,
  type PreScorePlugin,
  type ScorePlugin,
} from '../../framework/interfaces';
import type { NodeInfo } from '../../framework/node-info';
import type { PodInfo } from '../../framework/pod-info';
import { Status, type Result } from '../../framework/status';
import { PluginNames } from '../names';
import {
  constraintsFor,
  countMatching,
  nodeHasAllKeys,
  nodeIncluded,
  SYSTEM_DEFAULT_CONSTRAINTS,
  type Constraint,
  type DefaultConstraint,
  type PodTopologySpreadArgs,
} from './constraints';

export const ERR_REASON_CONSTRAINTS_NOT_MATCH =
  "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

const PRE_FILTER_KEY = 'PreFilter' + PluginNames.PodTopologySpread;
const PRE_SCORE_KEY = 'PreScore' + PluginNames.PodTopologySpread;

const pairKey = (key: string, value: string) => `${key}\u0000${value}`;

/** Matching pods per domain ("key\0value"), and each key's minimum, kept up to date. */
class PreFilterState implements StateData {
  readonly counts = new Map<string, number>();
  private mins: Map<string, number> | undefined;
  private domains: Map<string, number> | undefined;

  constructor(
    readonly constraints: Constraint[],
    readonly affinity: RequiredNodeAffinity,
  ) {}

  clone(): StateData {
    const c = new PreFilterState(this.constraints, this.affinity);
    for (const [k, v] of this.counts) c.counts.set(k, v);
    return c;
  }

  add(pair: string, delta: number): void {
    this.counts.set(pair, (this.counts.get(pair) ?? 0) + delta);
    this.mins = undefined;
  }

  minMatch(key: string, minDomains: number): number {
    if (!this.mins) this.summarize();
    if ((this.domains!.get(key) ?? 0) < minDomains) return 0;
    return this.mins!.get(key) ?? 0;
  }

  private summarize(): void {
    this.mins = new Map();
    this.domains = new Map();
    for (const [pair, n] of this.counts) {
      const key = pair.slice(0, pair.indexOf('\u0000'));
      this.domains.set(key, (this.domains.get(key) ?? 0) + 1);
      const m = this.mins.get(key);
      if (m === undefined || n < m) this.mins.set(key, n);
    }
  }
}

class PreScoreState implements StateData {
  readonly counts = new Map<string, number>();
  readonly ignored = new Set<string>();
  weights: number[] = [];
  constructor(readonly constraints: Constraint[]) {}
  clone(): StateData {
    return this;
  }
}

export class PodTopologySpread
  implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions
{
  readonly name = PluginNames.PodTopologySpread;
  private readonly defaults: readonly DefaultConstraint[];
  private readonly systemDefaulted: boolean;

  constructor(
    private readonly handle: Handle,
    args: PodTopologySpreadArgs = {},
  ) {
    this.systemDefaulted = (args.defaultingType ?? 'System') === 'System';
    this.defaults = this.systemDefaulted
      ? SYSTEM_DEFAULT_CONSTRAINTS
      : (args.defaultConstraints ?? []);
  }

  preFilter(
    state: CycleState,
    pod: PodInfo,
    nodes: readonly NodeInfo[],
  ): { result?: PreFilterResult; status: Result } {
    let constraints: Constraint[];
    try {
      constraints = constraintsFor(pod, 'DoNotSchedule', this.defaults, this.handle);
    } catch (err) {
      return {
        status: Status.unresolvable(
          `parsing pod: topology spread constraints: ${(err as Error).message}`,
        ),
      };
    }
    if (constraints.length === 0) return { status: Status.SKIP };
    const affinity = new RequiredNodeAffinity(pod.pod);
    const s = new PreFilterState(constraints, affinity);
    const ns = pod.namespace;
    for (const info of nodes) {
      const node = info.node;
      if (!node || !nodeHasAllKeys(info.labels, constraints)) continue;
      for (const c of constraints) {
        if (!nodeIncluded(c, pod.pod, node, affinity)) continue;
        const pair = pairKey(c.topologyKey, info.labels[c.topologyKey]);
        s.add(pair, countMatching(info.pods, c.selector, ns));
      }
    }
    state.write(PRE_FILTER_KEY, s);
    return { status: null };
  }

  addPod(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Result {
    this.update(state, pod, other, node, 1);
    return null;
  }

  removePod(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Result {
    this.update(state, pod, other, node, -1);
    return null;
  }

  private update(
    state: CycleState,
    pod: PodInfo,
    other: PodInfo,
    info: NodeInfo,
    delta: number,
  ): void {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    const node = info.node;
    if (!s || !node || other.namespace !== pod.namespace) return;
    if (!nodeHasAllKeys(info.labels, s.constraints)) return;
    for (const c of s.constraints) {
      if (!matchesLabels(c.selector, other.pod.metadata.labels)) continue;
      if (!nodeIncluded(c, pod.pod, node, s.affinity)) continue;
      s.add(pairKey(c.topologyKey, info.labels[c.topologyKey]), delta);
    }
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return null;
    const labels = node.labels;
    for (const c of s.constraints) {
      const value = labels[c.topologyKey];
      if (value === undefined) return Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
      const min = s.minMatch(c.topologyKey, c.minDomains);
      const self = matchesLabels(c.selector, pod.pod.metadata.labels) ? 1 : 0;
      const matched = s.counts.get(pairKey(c.topologyKey, value)) ?? 0;
      if (matched + self - min > c.maxSkew)
        return Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
    }
    return null;
  }

  preScore(state: CycleState, pod: PodInfo, filtered: readonly NodeInfo[]): Result {
    if (filtered.length === 0) return Status.SKIP;
    let constraints: Constraint[];
    try {
      constraints = constraintsFor(pod, 'ScheduleAnyway', this.defaults, this.handle);
    } catch {
      return Status.SKIP;
    }
    if (constraints.length === 0) return Status.SKIP;
    const s = new PreScoreState(constraints);
    // The pod's own constraints need every key on a node; system defaults do not (nodes
    // without zones still spread by host).
    const requireAll =
      (pod.pod.spec?.topologySpreadConstraints?.length ?? 0) > 0 || !this.systemDefaulted;
    const sizes = constraints.map(() => 0);
    for (const info of filtered) {
      if (requireAll && !nodeHasAllKeys(info.labels, constraints)) {
        s.ignored.add(info.name);
        continue;
      }
      constraints.forEach((c, i) => {
        if (c.topologyKey === LABEL_HOSTNAME) return; // counted per node in score()
        const value = info.labels[c.topologyKey];
        if (value === undefined) return;
        const pair = pairKey(c.topologyKey, value);
        if (!s.counts.has(pair)) {
          s.counts.set(pair, 0);
          sizes[i]++;
        }
      });
    }
    s.weights = constraints.map((c, i) =>
      Math.log(
        (c.topologyKey === LABEL_HOSTNAME ? filtered.length - s.ignored.size : sizes[i]) + 2,
      ),
    );
    // Counts come from every node, not only the filtered ones.
    const affinity = new RequiredNodeAffinity(pod.pod);
    const ns = pod.namespace;
    for (const info of this.handle.snapshot.nodeInfos()) {
      const node = info.node;
      if (!node) continue;
      if (requireAll && !nodeHasAllKeys(info.labels, constraints)) continue;
      for (const c of constraints) {
        if (c.topologyKey === LABEL_HOSTNAME) continue;
        if (!nodeIncluded(c, pod.pod, node, affinity)) continue;
        const value = info.labels[c.topologyKey];
        if (value === undefined) continue;
        const pair = pairKey(c.topologyKey, value);
        const have = s.counts.get(pair);
        if (have === undefined) continue;
        if (info.pods.length > 0)
          s.counts.set(pair, have + countMatching(info.pods, c.selector, ns));
      }
    }
    state.write(PRE_SCORE_KEY, s);
    return null;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s || s.ignored.has(node.name)) return 0;
    let score = 0;
    const labels = node.labels;
    s.constraints.forEach((c, i) => {
      const value = labels[c.topologyKey];
      if (value === undefined) return;
      const count =
        c.topologyKey === LABEL_HOSTNAME
          ? countMatching(node.pods, c.selector, pod.namespace)
          : (s.counts.get(pairKey(c.topologyKey, value)) ?? 0);
      score += count * s.weights[i] + (c.maxSkew - 1);
    });
    return Math.round(score);
  }

  normalizeScore(
    state: CycleState,
    _pod: PodInfo,
    nodes: readonly NodeInfo[],
    scores: number[],
  ): Result {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s) return null;
    let min = Number.MAX_SAFE_INTEGER;
    let max = 0;
    for (let i = 0; i < scores.length; i++) {
      if (s.ignored.has(nodes[i].name)) continue;
      if (scores[i] < min) min = scores[i];
      if (scores[i] > max) max = scores[i];
    }
    for (let i = 0; i < scores.length; i++) {
      if (s.ignored.has(nodes[i].name)) scores[i] = 0;
      else if (max === 0) scores[i] = MAX_NODE_SCORE;
      else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - scores[i])) / max);
    }
    return null;
  }

  eventsToRegister(): ClusterEvent[] {
    return [
      event(
        'AssignedPod',
        ActionType.Add | ActionType.UpdatePodLabel | ActionType.Delete,
        'AssignedPod',
      ),
      event(
        'Node',
        ActionType.Add |
          ActionType.Delete |
          ActionType.UpdateNodeLabel |
          ActionType.UpdateNodeTaint,
        'Node',
      ),
    ];
  }
}
