// Builders for the scheduler's pure tests: nodes and pods in a few words, and one profile's
// framework over a cache, so a plugin is tested as the scheduler runs it.
import { buildFramework } from '../config/profile';
import type { Profile } from '../config/types';
import type { Node, Pod } from '../api/types';
import { SchedulerCache } from '../cache/scheduler-cache';
import { CycleState } from '../framework/cycle-state';
import type { Framework } from '../framework/framework';
import type { Handle } from '../framework/interfaces';
import { PodInfo } from '../framework/pod-info';
import type { Result } from '../framework/status';
import { PodScheduler } from '../scheduler/schedule-pod';

export interface NodeSpec {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: NonNullable<Node['spec']>['taints'];
  unschedulable?: boolean;
  extra?: Record<string, string>;
}

export function makeNode(name: string, s: NodeSpec = {}): Node {
  const alloc = { cpu: s.cpu ?? '4', memory: s.memory ?? '8Gi', pods: s.pods ?? '110', ...s.extra };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...s.labels } },
    spec: { taints: s.taints, unschedulable: s.unschedulable },
    status: { capacity: alloc, allocatable: alloc },
  } as Node;
}

let uid = 0;

export function makePod(
  name: string,
  spec: Partial<NonNullable<Pod['spec']>> = {},
  labels: Record<string, string> = {},
  requests: Record<string, string> = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}-${++uid}`, labels },
    spec: {
      containers: [{ name: 'c', image: 'img', resources: { requests } }],
      ...spec,
    },
  } as Pod;
}

export const onNode = (pod: Pod, nodeName: string): Pod =>
  ({ ...pod, spec: { ...pod.spec!, nodeName } }) as Pod;

/** A cache with these nodes and bound pods, and a framework for `profile` over it. */
export function world(
  nodes: Node[],
  bound: Pod[] = [],
  profile: Profile = { schedulerName: 'default-scheduler' },
) {
  const cache = new SchedulerCache();
  for (const n of nodes) cache.addNode(n);
  for (const p of bound) cache.addPod(p);
  const handle: Handle = {
    snapshot: cache,
    namespaceLabels: () => ({}),
    namespaces: () => [{ name: 'default', labels: {} }],
    services: () => [],
    replicaSets: () => [],
    podDisruptionBudgets: () => [],
    nominatedPodsForNode: () => [],
    random: () => 0,
    now: () => 0,
  };
  const evictions: { preemptor: string; node: string; victims: string[] }[] = [];
  const fwk: Framework = buildFramework(profile, {
    handle,
    preemption: {
      execute: (preemptor, node, victims) =>
        evictions.push({
          preemptor: preemptor.metadata.name!,
          node,
          victims: victims.map((v) => v.metadata.name!),
        }),
    },
    bind: async () => undefined,
  });
  /** PreFilter then Filter of `pod` on `nodeName`: null when it fits, else the Status. */
  const filter = (pod: Pod, nodeName: string): Result => {
    const state = new CycleState();
    const info = new PodInfo(pod);
    const pre = fwk.runPreFilter(state, info, cache.nodeInfos());
    if (pre.status) return pre.status;
    if (pre.nodeNames && !pre.nodeNames.has(nodeName)) return pre.status;
    return fwk.runFilterWithNominatedPods(state, info, cache.get(nodeName)!);
  };
  /** The node the whole cycle picks (throws the FitError when none). */
  const schedule = (pod: Pod): string =>
    new PodScheduler(cache, 100, () => 0).schedule(fwk, new CycleState(), new PodInfo(pod))
      .nodeName;
  return { cache, fwk, filter, schedule, evictions };
}
