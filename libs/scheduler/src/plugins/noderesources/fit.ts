// NodeResourcesFit: the pod's requests (cpu, memory, ephemeral-storage, extended resources) must
// fit in what the node's pods leave of its allocatable, and the node must have room for one more
// pod. A request larger than the whole allocatable cannot be helped by preemption. Scores by the
// configured strategy: LeastAllocated (default, spreads) or MostAllocated (packs).
import { isExtendedResourceName, Resource } from '../../api/resources';
import type { CycleState, StateData } from '../../framework/cycle-state';
import { ActionType, event, type ClusterEvent } from '../../framework/events';
import type {
  EnqueueExtensions,
  FilterPlugin,
  PreFilterPlugin,
  PreFilterResult,
  PreScorePlugin,
  ScorePlugin,
} from '../../framework/interfaces';
import type { NodeInfo } from '../../framework/node-info';
import type { PodInfo } from '../../framework/pod-info';
import { Code, Status, type Result } from '../../framework/status';
import { PluginNames } from '../names';
import {
  allocation,
  DEFAULT_RESOURCES,
  leastAllocatedScorer,
  mostAllocatedScorer,
  type ResourceSpec,
  type Scorer,
} from './resource-allocation';

export interface NodeResourcesFitArgs {
  ignoredResources?: string[];
  ignoredResourceGroups?: string[];
  scoringStrategy?: {
    type?: 'LeastAllocated' | 'MostAllocated';
    resources?: ResourceSpec[];
  };
}

export interface InsufficientResource {
  name: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
  /** The node could not fit it even empty. */
  unresolvable: boolean;
}

const PRE_SCORE_KEY = 'PreScore' + PluginNames.NodeResourcesFit;

class PreScoreState implements StateData {
  constructor(readonly podRequests: number[]) {}
  clone(): StateData {
    return this;
  }
}

/** Adds `name` to `out` when `want` more does not fit beside `have` in `cap`. */
function check(
  out: InsufficientResource[],
  name: string,
  want: number,
  have: number,
  cap: number,
): void {
  if (want > 0 && cap < want + have)
    out.push({
      name,
      reason: `Insufficient ${name}`,
      requested: want,
      used: have,
      capacity: cap,
      unresolvable: want > cap,
    });
}

/** What does not fit when `requests` join the pods on `node` (empty: it fits). */
export function insufficientResources(
  requests: Resource,
  node: NodeInfo,
  ignored: ReadonlySet<string> = new Set(),
  ignoredGroups: readonly string[] = [],
): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const allowedPods = node.allocatable.allowedPodNumber;
  if (node.pods.length + 1 > allowedPods) {
    out.push({
      name: 'pods',
      reason: 'Too many pods',
      requested: 1,
      used: node.pods.length,
      capacity: allowedPods,
      unresolvable: false,
    });
  }
  if (requests.isZero()) return out;
  const alloc = node.allocatable;
  const used = node.requested;
  check(out, 'cpu', requests.milliCPU, used.milliCPU, alloc.milliCPU);
  check(out, 'memory', requests.memory, used.memory, alloc.memory);
  check(
    out,
    'ephemeral-storage',
    requests.ephemeralStorage,
    used.ephemeralStorage,
    alloc.ephemeralStorage,
  );
  if (requests.scalar) {
    for (const [name, want] of requests.scalar) {
      if (isExtendedResourceName(name)) {
        if (ignored.has(name)) continue;
        const group = name.slice(0, name.indexOf('/'));
        if (ignoredGroups.includes(group)) continue;
      }
      check(out, name, want, used.get(name), alloc.get(name));
    }
  }
  return out;
}

export class NodeResourcesFit
  implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions
{
  readonly name = PluginNames.NodeResourcesFit;
  private readonly ignored: Set<string>;
  private readonly ignoredGroups: string[];
  private readonly resources: readonly ResourceSpec[];
  private readonly scorer: Scorer;

  constructor(args: NodeResourcesFitArgs = {}) {
    this.ignored = new Set(args.ignoredResources ?? []);
    this.ignoredGroups = args.ignoredResourceGroups ?? [];
    const strategy = args.scoringStrategy ?? {};
    this.resources = strategy.resources?.length ? strategy.resources : DEFAULT_RESOURCES;
    this.scorer =
      strategy.type === 'MostAllocated'
        ? mostAllocatedScorer(this.resources)
        : leastAllocatedScorer(this.resources);
  }

  preFilter(_state: CycleState, pod: PodInfo): { result?: PreFilterResult; status: Result } {
    if (pod.parseError?.startsWith('resource requests'))
      return { status: Status.unresolvable(`parsing pod: ${pod.parseError}`) };
    return { status: null };
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Result {
    const missing = insufficientResources(pod.requests, node, this.ignored, this.ignoredGroups);
    if (missing.length === 0) return null;
    const code = missing.some((m) => m.unresolvable)
      ? Code.UnschedulableAndUnresolvable
      : Code.Unschedulable;
    return new Status(
      code,
      missing.map((m) => m.reason),
    );
  }

  preScore(state: CycleState, pod: PodInfo): Result {
    const req = this.resources.map((r) => pod.nonZeroRequests.get(r.name));
    state.write(PRE_SCORE_KEY, new PreScoreState(req));
    return null;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const req =
      state.read<PreScoreState>(PRE_SCORE_KEY)?.podRequests ??
      this.resources.map((r) => pod.nonZeroRequests.get(r.name));
    const { requested, allocatable } = allocation(node, this.resources, req, false);
    return this.scorer(requested, allocatable);
  }

  eventsToRegister(): ClusterEvent[] {
    return [
      event('AssignedPod', ActionType.Delete | ActionType.UpdatePodScaleDown, 'AssignedPodDelete'),
      event(
        'Node',
        ActionType.Add |
          ActionType.UpdateNodeAllocatable |
          ActionType.UpdateNodeTaint |
          ActionType.UpdateNodeLabel,
        'Node',
      ),
    ];
  }
}
