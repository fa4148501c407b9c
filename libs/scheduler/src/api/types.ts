// The Kubernetes objects the scheduler reads, typed as @flotilla/client types them.
import type { coreV1, Node, Pod, Service, ReplicaSet, Namespace } from '@flotilla/client';

export type { Node, Pod, Service, ReplicaSet, Namespace };
export type Taint = coreV1.Taint;
export type Toleration = coreV1.Toleration;
export type NodeSelectorTerm = coreV1.NodeSelectorTerm;
export type NodeSelectorRequirement = coreV1.NodeSelectorRequirement;
export type PodAffinityTerm = coreV1.PodAffinityTerm;
export type WeightedPodAffinityTerm = coreV1.WeightedPodAffinityTerm;
export type TopologySpreadConstraint = coreV1.TopologySpreadConstraint;
export type LabelSelectorObject = NonNullable<coreV1.PodAffinityTerm['labelSelector']>;
export type PodCondition = coreV1.PodCondition;

/** Well-known labels the scheduler reads. */
export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';
export const LABEL_REGION = 'topology.kubernetes.io/region';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** The taint a cordoned node carries (and pods tolerate to land on it anyway). */
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
