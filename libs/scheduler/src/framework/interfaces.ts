// The scheduling framework's extension points (kube-scheduler's framework/interface.go), as
// optional methods of a plugin. Everything up to PostFilter runs synchronously for one pod at a
// time over the cache (JavaScript runs one thing at a time, so the cache cannot change under a
// scheduling cycle); binding is the one asynchronous step.
import type { LabelSelector } from '@flotilla/api';
import type { Pod, ReplicaSet, Service } from '../api/types';
import type { CycleState } from './cycle-state';
import type { ClusterEvent } from './events';
import type { NodeInfo } from './node-info';
import type { PodInfo } from './pod-info';
import type { Result, Status } from './status';

export const MAX_NODE_SCORE = 100;

/** The nodes a PreFilter says are the only ones worth filtering (undefined: all). */
export interface PreFilterResult {
  nodeNames?: Set<string>;
}

/** What PostFilter (preemption) decided for a pod that fits nowhere. */
export interface PostFilterResult {
  /** The node to nominate ('' clears a previous nomination). */
  nominatedNodeName?: string;
}

/** A pod waiting in the queue with what the queue knows of its attempts. */
export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** When it last entered the queue (orders pods of equal priority). */
  timestamp: number;
  /** When it first entered the queue (the SLI measures from here). */
  initialAttemptTimestamp: number | undefined;
  attempts: number;
  /** Plugins that turned it down last time (the events they registered can move it back). */
  unschedulablePlugins: Set<string>;
  /** The PreEnqueue plugin holding it, when gated. */
  gatingPlugin?: string;
}

export interface Plugin {
  readonly name: string;
}

export interface PreEnqueuePlugin extends Plugin {
  preEnqueue(pod: Pod): Result;
}

export interface QueueSortPlugin extends Plugin {
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

export interface PreFilterPlugin extends Plugin {
  /** A Status of Skip means: run none of this plugin's Filter for this pod. */
  preFilter(
    state: CycleState,
    pod: PodInfo,
    nodes: readonly NodeInfo[],
  ): { result?: PreFilterResult; status: Result };
  /** Adjusts the PreFilter state as if `other` ran on `node` (nominated pods, preemption). */
  addPod?(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Result;
  /** Adjusts the PreFilter state as if `other` were gone from `node`. */
  removePod?(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo): Result;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Result;
}

export interface PostFilterPlugin extends Plugin {
  postFilter(
    state: CycleState,
    pod: PodInfo,
    statuses: ReadonlyMap<string, Status>,
  ): { result?: PostFilterResult; status: Result };
}

export interface PreScorePlugin extends Plugin {
  /** A Status of Skip means: this plugin does not score this pod. */
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Result;
}

export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** Rescales `scores` (one per node of `nodes`, same order) into [0, MAX_NODE_SCORE]. */
  normalizeScore?(
    state: CycleState,
    pod: PodInfo,
    nodes: readonly NodeInfo[],
    scores: number[],
  ): Result;
}

export interface BindPlugin extends Plugin {
  /** Skip: not this plugin's pod; null: bound. */
  bind(pod: Pod, nodeName: string): Promise<Result>;
}

export interface EnqueueExtensions {
  /** The events that could make a pod this plugin turned down schedulable. */
  eventsToRegister(): ClusterEvent[];
}

/** The cluster as plugins read it during a cycle (the scheduler cache). */
export interface ClusterSnapshot {
  /** Every node, zones interleaved (so the first nodes looked at span the zones). */
  nodeInfos(): readonly NodeInfo[];
  get(nodeName: string): NodeInfo | undefined;
  /** Nodes that have pods with pod affinity or anti-affinity. */
  nodesWithAffinityPods(): readonly NodeInfo[];
  /** Nodes that have pods with required pod anti-affinity. */
  nodesWithRequiredAntiAffinityPods(): readonly NodeInfo[];
  /** On how many nodes an image (normalized name) is. */
  imageNodeCount(image: string): number;
}

export interface PodDisruptionBudgetInfo {
  namespace: string;
  selector: LabelSelector;
  disruptionsAllowed: number;
  /** Pods already counted as disrupted (by name). */
  disruptedPods: ReadonlySet<string>;
}

/** What plugins may use beyond the pod and the node in hand. */
export interface Handle {
  snapshot: ClusterSnapshot;
  /** Labels of a namespace (undefined if unknown). */
  namespaceLabels(namespace: string): Record<string, string> | undefined;
  /** Every namespace's name and labels (to resolve namespace selectors). */
  namespaces(): Iterable<{ name: string; labels: Record<string, string> | undefined }>;
  /** Services, ReplicaSets... selecting a pod, for the default topology spreading. */
  services(namespace: string): readonly Service[];
  replicaSets(namespace: string): readonly ReplicaSet[];
  podDisruptionBudgets(): readonly PodDisruptionBudgetInfo[];
  /** Pods nominated to run on a node (by preemption), waiting for room. */
  nominatedPodsForNode(nodeName: string): readonly PodInfo[];
  random(): number;
  now(): number;
}
