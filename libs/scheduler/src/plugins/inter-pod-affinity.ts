// InterPodAffinity: required pod affinity (the node's topology domain must already run a matching
// pod, unless no pod matches anywhere and the pod matches its own terms), required anti-affinity
// (no matching pod in the domain), and existing pods' anti-affinity towards the incoming pod.
// Preferred terms (the pod's and the existing pods') add or subtract their weight per domain.
import { AffinityTerm, type WeightedAffinityTerm } from '../api/affinity-terms';
import type { Pod } from '../api/types';
import type { CycleState, StateData } from '../framework/cycle-state';
import { ActionType, event, type ClusterEvent } from '../framework/events';
import {
  MAX_NODE_SCORE,
  type EnqueueExtensions,
  type FilterPlugin,
  type Handle,
  type PreFilterPlugin,
  type PreFilterResult,
  type PreScorePlugin,
  type ScorePlugin,
} from '../framework/interfaces';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import { Status, type Result } from '../framework/status';
import { PluginNames } from './names';

export const ERR_REASON_EXISTING_ANTI_AFFINITY =
  "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";

export interface InterPodAffinityArgs {
  /** Weight of an existing pod's required affinity towards the incoming pod (default 1). */
  hardPodAffinityWeight?: number;
  ignorePreferredTermsOfExistingPods?: boolean;
}

const PRE_FILTER_KEY = 'PreFilter' + PluginNames.InterPodAffinity;
const PRE_SCORE_KEY = 'PreScore' + PluginNames.InterPodAffinity;
const pairKey = (key: string, value: string) => `${key}\u0000${value}`;

type Counts = Map<string, number>;

function bump(counts: Counts, key: string, value: string | undefined, delta: number): void {
  if (value === undefined) return;
  const k = pairKey(key, value);
  const n = (counts.get(k) ?? 0) + delta;
  if (n === 0) counts.delete(k);
  else counts.set(k, n);
}

class PreFilterState implements StateData {
  constructor(
    /** The incoming pod's terms, namespace selectors resolved. */
    readonly affinity: AffinityTerm[],
    readonly antiAffinity: AffinityTerm[],
    readonly nsLabels: Record<string, string> | undefined,
    /** Domains with an existing pod whose required anti-affinity the incoming pod matches. */
    readonly existingAntiAffinity: Counts,
    /** Domains with pods matching all of the incoming pod's affinity terms. */
    readonly affinityCounts: Counts,
    /** Domains with pods matching one of its anti-affinity terms. */
    readonly antiAffinityCounts: Counts,
  ) {}

  clone(): StateData {
    return new PreFilterState(
      this.affinity,
      this.antiAffinity,
      this.nsLabels,
      new Map(this.existingAntiAffinity),
      new Map(this.affinityCounts),
      new Map(this.antiAffinityCounts),
    );
  }
}

class PreScoreState implements StateData {
  constructor(readonly scores: Map<string, Map<string, number>>) {}
  clone(): StateData {
    return this;
  }
}

export class InterPodAffinity
  implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions
{
  readonly name = PluginNames.InterPodAffinity;
  private readonly hardWeight: number;
  private readonly ignoreExistingPreferred: boolean;

  constructor(
    private readonly handle: Handle,
    args: InterPodAffinityArgs = {},
  ) {
    this.hardWeight = args.hardPodAffinityWeight ?? 1;
    this.ignoreExistingPreferred = args.ignorePreferredTermsOfExistingPods ?? false;
  }

  /** Adds the namespaces a term's namespace selector chooses to its list. */
  private resolve(terms: readonly AffinityTerm[]): AffinityTerm[] {
    return terms.map((t) => {
      if (t.namespaceSelector.nothing) return t;
      const extra: string[] = [];
      for (const ns of this.handle.namespaces())
        if (t.matchesNamespaceLabels(ns.labels)) extra.push(ns.name);
      return t.withNamespaces(extra);
    });
  }

  preFilter(
    state: CycleState,
    pod: PodInfo,
    nodes: readonly NodeInfo[],
  ): { result?: PreFilterResult; status: Result } {
    if (pod.parseError?.startsWith('inter-pod affinity'))
      return { status: Status.unresolvable(`parsing pod: ${pod.parseError}`) };
    const affinity = this.resolve(pod.requiredAffinityTerms);
    const anti = this.resolve(pod.requiredAntiAffinityTerms);
    const nsLabels = this.handle.namespaceLabels(pod.namespace);
    const existing: Counts = new Map();
    for (const info of this.handle.snapshot.nodesWithRequiredAntiAffinityPods()) {
      if (!info.node) continue;
      for (const other of info.podsWithRequiredAntiAffinity)
        for (const t of other.requiredAntiAffinityTerms)
          if (t.matches(pod.pod, nsLabels))
            bump(existing, t.topologyKey, info.labels[t.topologyKey], 1);
    }
    const affinityCounts: Counts = new Map();
    const antiCounts: Counts = new Map();
    if (affinity.length > 0 || anti.length > 0) {
      for (const info of nodes) {
        if (!info.node) continue;
        for (const other of info.pods)
          countFor(affinity, anti, other.pod, info, affinityCounts, antiCounts, 1);
      }
    }
    if (existing.size === 0 && affinity.length === 0 && anti.length === 0)
      return { status: Status.SKIP };
    state.write(
      PRE_FILTER_KEY,
      new PreFilterState(affinity, anti, nsLabels, existing, affinityCounts, antiCounts),
    );
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
    node: NodeInfo,
    delta: number,
  ): void {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s || !node.node) return;
    for (const t of other.requiredAntiAffinityTerms)
      if (t.matches(pod.pod, s.nsLabels))
        bump(s.existingAntiAffinity, t.topologyKey, node.labels[t.topologyKey], delta);
    countFor(
      s.affinity,
      s.antiAffinity,
      other.pod,
      node,
      s.affinityCounts,
      s.antiAffinityCounts,
      delta,
    );
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return null;
    const labels = node.labels;
    if (!this.satisfiesAffinity(s, pod, labels)) return Status.unresolvable(ERR_REASON_AFFINITY);
    for (const t of s.antiAffinity) {
      const v = labels[t.topologyKey];
      if (v !== undefined && (s.antiAffinityCounts.get(pairKey(t.topologyKey, v)) ?? 0) > 0)
        return Status.unschedulable(ERR_REASON_ANTI_AFFINITY);
    }
    if (s.existingAntiAffinity.size > 0) {
      for (const key in labels)
        if ((s.existingAntiAffinity.get(pairKey(key, labels[key])) ?? 0) > 0)
          return Status.unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);
    }
    return null;
  }

  private satisfiesAffinity(
    s: PreFilterState,
    pod: PodInfo,
    labels: Record<string, string>,
  ): boolean {
    let podsExist = true;
    for (const t of s.affinity) {
      const v = labels[t.topologyKey];
      if (v === undefined) return false; // every topology label must be on the node
      if ((s.affinityCounts.get(pairKey(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
    }
    if (podsExist) return true;
    // The first pod of a group with affinity to itself: allowed when no pod anywhere matches
    // and the pod matches its own terms.
    return s.affinityCounts.size === 0 && s.affinity.every((t) => t.matches(pod.pod, s.nsLabels));
  }

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Result {
    if (nodes.length === 0) return Status.SKIP;
    const preferredAffinity = this.resolveWeighted(pod.preferredAffinityTerms);
    const preferredAnti = this.resolveWeighted(pod.preferredAntiAffinityTerms);
    const hasOwn = preferredAffinity.length > 0 || preferredAnti.length > 0;
    const withAffinity = this.handle.snapshot.nodesWithAffinityPods();
    if (!hasOwn && (this.ignoreExistingPreferred || withAffinity.length === 0)) return Status.SKIP;
    const nsLabels = this.handle.namespaceLabels(pod.namespace);
    const scores = new Map<string, Map<string, number>>();
    const add = (
      term: AffinityTerm,
      weight: number,
      target: Pod,
      targetNs: Record<string, string> | undefined,
      node: NodeInfo,
    ) => {
      if (!term.matches(target, targetNs)) return;
      const v = node.labels[term.topologyKey];
      if (v === undefined) return;
      let byValue = scores.get(term.topologyKey);
      if (!byValue) scores.set(term.topologyKey, (byValue = new Map()));
      byValue.set(v, (byValue.get(v) ?? 0) + weight);
    };
    const source = hasOwn ? this.handle.snapshot.nodeInfos() : withAffinity;
    for (const info of source) {
      if (!info.node || Object.keys(info.labels).length === 0) continue;
      const others = hasOwn ? info.pods : info.podsWithAffinity;
      for (const other of others) {
        for (const w of preferredAffinity) add(w.term, w.weight, other.pod, undefined, info);
        for (const w of preferredAnti) add(w.term, -w.weight, other.pod, undefined, info);
        if (!other.hasAffinity) continue;
        if (this.hardWeight > 0)
          for (const t of other.requiredAffinityTerms)
            add(t, this.hardWeight, pod.pod, nsLabels, info);
        if (this.ignoreExistingPreferred) continue;
        for (const w of other.preferredAffinityTerms)
          add(w.term, w.weight, pod.pod, nsLabels, info);
        for (const w of other.preferredAntiAffinityTerms)
          add(w.term, -w.weight, pod.pod, nsLabels, info);
      }
    }
    if (scores.size === 0) return Status.SKIP;
    state.write(PRE_SCORE_KEY, new PreScoreState(scores));
    return null;
  }

  private resolveWeighted(terms: readonly WeightedAffinityTerm[]): WeightedAffinityTerm[] {
    if (terms.length === 0) return [];
    const resolved = this.resolve(terms.map((t) => t.term));
    return resolved.map((term, i) => ({ term, weight: terms[i].weight }));
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s) return 0;
    let total = 0;
    for (const [key, byValue] of s.scores) {
      const v = node.labels[key];
      if (v !== undefined) total += byValue.get(v) ?? 0;
    }
    return total;
  }

  normalizeScore(
    state: CycleState,
    _pod: PodInfo,
    _nodes: readonly NodeInfo[],
    scores: number[],
  ): Result {
    if (!state.read<PreScoreState>(PRE_SCORE_KEY)) return null;
    let min = Number.MAX_SAFE_INTEGER;
    let max = Number.MIN_SAFE_INTEGER;
    for (const s of scores) {
      if (s > max) max = s;
      if (s < min) min = s;
    }
    const diff = max - min;
    for (let i = 0; i < scores.length; i++)
      scores[i] = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (scores[i] - min)) / diff) : 0;
    return null;
  }

  eventsToRegister(): ClusterEvent[] {
    return [
      event(
        'AssignedPod',
        ActionType.Add | ActionType.UpdatePodLabel | ActionType.Delete,
        'AssignedPod',
      ),
      event('Node', ActionType.Add | ActionType.UpdateNodeLabel, 'Node'),
    ];
  }
}

/** Counts `other` (on `node`) towards the incoming pod's affinity and anti-affinity domains. */
function countFor(
  affinity: readonly AffinityTerm[],
  anti: readonly AffinityTerm[],
  other: Pod,
  node: NodeInfo,
  affinityCounts: Counts,
  antiCounts: Counts,
  delta: number,
): void {
  if (affinity.length > 0 && affinity.every((t) => t.matches(other, undefined)))
    for (const t of affinity)
      bump(affinityCounts, t.topologyKey, node.labels[t.topologyKey], delta);
  for (const t of anti)
    if (t.matches(other, undefined))
      bump(antiCounts, t.topologyKey, node.labels[t.topologyKey], delta);
}
