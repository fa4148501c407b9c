// Topology spread constraints as PodTopologySpread works with them: a pod's own (DoNotSchedule
// ones filter, ScheduleAnyway ones score), or the defaults (by the pod's Services and ReplicaSet)
// when it has none; which nodes count (nodeAffinityPolicy, nodeTaintsPolicy); how pods match.
import {
  labelSelectorFromObject,
  matchesLabels,
  type LabelRequirement,
  type LabelSelector,
} from '@flotilla/api';
import { selectorWithLabelKeys } from '../../api/affinity-terms';
import type { RequiredNodeAffinity } from '../../api/node-selector';
import { firstUntolerated } from '../../api/taints';
import type { Node, Pod, Taint, TopologySpreadConstraint } from '../../api/types';
import { LABEL_HOSTNAME, LABEL_ZONE } from '../../api/types';
import type { Handle } from '../../framework/interfaces';
import type { PodInfo } from '../../framework/pod-info';

export type Action = 'DoNotSchedule' | 'ScheduleAnyway';

export interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelSelector;
  minDomains: number;
  /** Honor: only nodes matching the pod's node affinity count (default). */
  nodeAffinityPolicy: 'Honor' | 'Ignore';
  /** Honor: only nodes whose taints the pod tolerates count (default Ignore). */
  nodeTaintsPolicy: 'Honor' | 'Ignore';
}

export interface DefaultConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: Action;
}

export interface PodTopologySpreadArgs {
  defaultConstraints?: DefaultConstraint[];
  /** System: Kubernetes' built-in defaults; List: `defaultConstraints`. */
  defaultingType?: 'System' | 'List';
}

/** Spread evenly by host (skew 3) and by zone (skew 5), never refusing a node. */
export const SYSTEM_DEFAULT_CONSTRAINTS: readonly DefaultConstraint[] = [
  { maxSkew: 3, topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway' },
  { maxSkew: 5, topologyKey: LABEL_ZONE, whenUnsatisfiable: 'ScheduleAnyway' },
];

const hardEffect = (t: Taint) => t.effect === 'NoSchedule' || t.effect === 'NoExecute';

export function fromPodSpec(
  pod: Pod,
  constraints: readonly TopologySpreadConstraint[],
  action: Action,
): Constraint[] {
  const out: Constraint[] = [];
  for (const c of constraints) {
    if (c.whenUnsatisfiable !== action) continue;
    out.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector: selectorWithLabelKeys(c.labelSelector, pod, c.matchLabelKeys, undefined),
      minDomains: c.minDomains ?? 1,
      nodeAffinityPolicy: c.nodeAffinityPolicy === 'Ignore' ? 'Ignore' : 'Honor',
      nodeTaintsPolicy: c.nodeTaintsPolicy === 'Honor' ? 'Honor' : 'Ignore',
    });
  }
  return out;
}

/**
 * The selector of the default constraints: the labels every Service selecting the pod selects
 * on, plus its controlling ReplicaSet's selector (DefaultSelector in Kubernetes). Undefined when
 * nothing selects the pod (then there are no default constraints).
 */
export function defaultSelector(pod: Pod, handle: Handle): LabelSelector | undefined {
  const ns = pod.metadata.namespace ?? '';
  const labels = pod.metadata.labels ?? {};
  const merged: Record<string, string> = {};
  let any = false;
  for (const svc of handle.services(ns)) {
    const sel = svc.spec?.selector;
    if (!sel || Object.keys(sel).length === 0) continue;
    if (!Object.entries(sel).every(([k, v]) => labels[k] === v)) continue;
    Object.assign(merged, sel);
    any = true;
  }
  const requirements: LabelRequirement[] = Object.entries(merged).map(([key, v]) => ({
    key,
    operator: 'Equals',
    values: [v],
  }));
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller);
  if (owner?.kind === 'ReplicaSet' && owner.apiVersion === 'apps/v1') {
    const rs = handle.replicaSets(ns).find((r) => r.metadata.name === owner.name);
    const sel = rs?.spec?.selector;
    if (sel) {
      try {
        requirements.push(
          ...labelSelectorFromObject(sel as Parameters<typeof labelSelectorFromObject>[0])
            .requirements,
        );
        any = true;
      } catch {
        // A ReplicaSet with a selector that does not parse adds nothing (as Kubernetes).
      }
    }
  }
  return any && requirements.length > 0 ? { requirements } : undefined;
}

/** A pod's constraints for `action`, or the defaults when it declares none. */
export function constraintsFor(
  pod: PodInfo,
  action: Action,
  defaults: readonly DefaultConstraint[],
  handle: Handle,
): Constraint[] {
  const declared = pod.pod.spec?.topologySpreadConstraints ?? [];
  if (declared.length > 0) return fromPodSpec(pod.pod, declared, action);
  const wanted = defaults.filter((d) => d.whenUnsatisfiable === action);
  if (wanted.length === 0) return [];
  const selector = defaultSelector(pod.pod, handle);
  if (!selector) return [];
  return wanted.map((d) => ({
    maxSkew: d.maxSkew,
    topologyKey: d.topologyKey,
    selector,
    minDomains: 1,
    nodeAffinityPolicy: 'Honor',
    nodeTaintsPolicy: 'Ignore',
  }));
}

export function nodeHasAllKeys(
  labels: Record<string, string>,
  constraints: readonly Constraint[],
): boolean {
  for (const c of constraints) if (!(c.topologyKey in labels)) return false;
  return true;
}

/** Whether `node` counts for constraint `c` of `pod` (its inclusion policies). */
export function nodeIncluded(
  c: Constraint,
  pod: Pod,
  node: Node,
  affinity: RequiredNodeAffinity,
): boolean {
  if (c.nodeAffinityPolicy === 'Honor' && !affinity.matches(node)) return false;
  if (
    c.nodeTaintsPolicy === 'Honor' &&
    firstUntolerated(node.spec?.taints, pod.spec?.tolerations, hardEffect)
  )
    return false;
  return true;
}

/** Pods (not terminating, in `namespace`) whose labels `selector` matches. */
export function countMatching(
  pods: readonly PodInfo[],
  selector: LabelSelector,
  namespace: string,
): number {
  let n = 0;
  for (const p of pods) {
    const meta = p.pod.metadata;
    if (meta.deletionTimestamp || meta.namespace !== namespace) continue;
    if (matchesLabels(selector, meta.labels)) n++;
  }
  return n;
}
