// One pod's scheduling cycle, as kube-scheduler's schedulePod: PreFilter, then Filter over the
// nodes starting where the previous pod stopped until enough feasible nodes are found (adaptive
// to the cluster's size), then Score those and take the best (ties broken at random). A pod that
// fits nowhere comes back as a FitError with each node's reason.
import type { CycleState } from '../framework/cycle-state';
import type { Framework } from '../framework/framework';
import type { ClusterSnapshot } from '../framework/interfaces';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import { Code, Status } from '../framework/status';
import { FitError, NO_NODES_AVAILABLE } from './fit-error';

/** kube-scheduler's floor on the feasible nodes looked for, and on the adaptive percentage. */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/**
 * How many feasible nodes to find before scoring: all of a small cluster; else the configured
 * percentage, or adaptively 50% less 1% per 125 nodes (at least 5%), but at least 100 nodes.
 */
export function numFeasibleNodesToFind(
  percentage: number | undefined,
  numAllNodes: number,
): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let adaptive = percentage ?? 0;
  if (adaptive <= 0) {
    adaptive = 50 - numAllNodes / 125;
    if (adaptive < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
      adaptive = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  if (adaptive >= 100) return numAllNodes;
  const n = Math.floor((numAllNodes * adaptive) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

export interface ScheduleResult {
  nodeName: string;
  evaluatedNodes: number;
  feasibleNodes: number;
}

/** A scheduling attempt that failed for a reason other than the pod not fitting. */
export class ScheduleError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
  }
}

export class PodScheduler {
  /** Where the next pod's search starts, so successive pods look at different nodes first. */
  private nextStartNodeIndex = 0;
  /** Nodes the last search turned down (evaluated = feasible + these). */
  private lastFailed = 0;

  constructor(
    private readonly snapshot: ClusterSnapshot,
    /** The scheduler's percentageOfNodesToScore (a profile's own wins). */
    private readonly percentageOfNodesToScore: number | undefined,
    private readonly random: () => number,
  ) {}

  /** Picks a node for `pod`, or throws a FitError (fits nowhere) or ScheduleError (a plugin failed). */
  schedule(fwk: Framework, state: CycleState, pod: PodInfo): ScheduleResult {
    const all = this.snapshot.nodeInfos();
    if (all.length === 0) throw new ScheduleError(Status.error(NO_NODES_AVAILABLE));
    const feasible = this.findNodesThatFit(fwk, state, pod, all);
    if (feasible.length === 1)
      return { nodeName: feasible[0].name, evaluatedNodes: 1 + this.lastFailed, feasibleNodes: 1 };
    const scores = fwk.runScore(state, pod, feasible);
    if (scores instanceof Status) throw new ScheduleError(scores);
    return {
      nodeName: this.selectHost(feasible, scores),
      evaluatedNodes: feasible.length + this.lastFailed,
      feasibleNodes: feasible.length,
    };
  }

  private findNodesThatFit(
    fwk: Framework,
    state: CycleState,
    pod: PodInfo,
    all: readonly NodeInfo[],
  ): NodeInfo[] {
    const statuses = new Map<string, Status>();
    const pre = fwk.runPreFilter(state, pod, all);
    if (pre.status) {
      if (!pre.status.isRejected) throw new ScheduleError(pre.status);
      // Every node is turned down for the same reason (kube-scheduler words it once).
      for (const n of all) statuses.set(n.name, pre.status);
      throw new FitError(all.length, statuses, new Set([pre.status.plugin]), pre.status.message);
    }
    // A pod nominated by an earlier preemption tries its nominated node first.
    const nominated = pod.pod.status?.nominatedNodeName;
    if (nominated) {
      const info = this.snapshot.get(nominated);
      if (info && (!pre.nodeNames || pre.nodeNames.has(nominated))) {
        const s = fwk.runFilterWithNominatedPods(state, pod, info);
        if (!s) {
          this.lastFailed = 0;
          return [info];
        }
        if (s.code === Code.Error) throw new ScheduleError(s);
      }
    }
    let nodes = all;
    if (pre.nodeNames) {
      nodes = all.filter((n) => pre.nodeNames!.has(n.name));
      const unresolvable = Status.unresolvable("node(s) didn't satisfy plugin(s) [PreFilter]");
      for (const n of all) if (!pre.nodeNames.has(n.name)) statuses.set(n.name, unresolvable);
    }
    const want = numFeasibleNodesToFind(
      fwk.percentageOfNodesToScore ?? this.percentageOfNodesToScore,
      nodes.length,
    );
    const feasible: NodeInfo[] = [];
    const unschedulablePlugins = new Set<string>();
    const start = nodes.length > 0 ? this.nextStartNodeIndex % nodes.length : 0;
    let processed = 0;
    let failed = 0;
    for (; processed < nodes.length && feasible.length < want; processed++) {
      const info = nodes[(start + processed) % nodes.length];
      const s = fwk.runFilterWithNominatedPods(state, pod, info);
      if (!s) {
        feasible.push(info);
        continue;
      }
      if (s.code === Code.Error) throw new ScheduleError(s);
      statuses.set(info.name, s);
      if (s.plugin) unschedulablePlugins.add(s.plugin);
      failed++;
    }
    this.nextStartNodeIndex = nodes.length > 0 ? (start + processed) % nodes.length : 0;
    this.lastFailed = failed;
    if (feasible.length === 0) throw new FitError(all.length, statuses, unschedulablePlugins);
    return feasible;
  }

  /** The highest total; among equal ones, each equally likely (reservoir sampling). */
  private selectHost(nodes: readonly NodeInfo[], scores: readonly number[]): string {
    let best = 0;
    let ties = 1;
    for (let i = 1; i < nodes.length; i++) {
      if (scores[i] > scores[best]) {
        best = i;
        ties = 1;
      } else if (scores[i] === scores[best]) {
        ties++;
        if (this.random() * ties < 1) best = i;
      }
    }
    return nodes[best].name;
  }
}
