// DefaultPreemption (PostFilter): for a pod that fits nowhere, find nodes where evicting pods of
// lower priority would make room, keep as many of them as still leaves room (PodDisruptionBudget
// violators first, then by priority), pick the node that hurts least, evict its victims and
// nominate the node for the pod. The decision is synchronous; evictions go out asynchronously.
import { matchesLabels } from '@flotilla/api';
import type { Pod } from '../api/types';
import type { CycleState } from '../framework/cycle-state';
import type {
  Handle,
  PodDisruptionBudgetInfo,
  PostFilterPlugin,
  PostFilterResult,
} from '../framework/interfaces';
import type { Framework } from '../framework/framework';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import { Code, Status, type Result } from '../framework/status';
import { fitErrorMessage } from '../scheduler/fit-error';
import { PluginNames } from './names';

export interface DefaultPreemptionArgs {
  /** Candidates looked for, as a percentage of nodes (default 10)... */
  minCandidateNodesPercentage?: number;
  /** ...but at least this many (default 100). */
  minCandidateNodesAbsolute?: number;
}

export interface Candidate {
  nodeName: string;
  victims: PodInfo[];
  pdbViolations: number;
}

/** What carries out a preemption decision (the scheduler: API calls and events). */
export interface PreemptionExecutor {
  /**
   * Evicts `victims` for `preemptor` on `nodeName`, and clears the nomination of `lowerNominated`
   * (pods of lower priority nominated to that node, which lose their promise of room).
   */
  execute(preemptor: Pod, nodeName: string, victims: Pod[], lowerNominated: Pod[]): void;
}

export const NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_VICTIMS = 'No preemption victims found for incoming pod';

export class DefaultPreemption implements PostFilterPlugin {
  readonly name = PluginNames.DefaultPreemption;
  private readonly percentage: number;
  private readonly absolute: number;

  constructor(
    private readonly handle: Handle,
    private readonly framework: () => Framework,
    private readonly executor: PreemptionExecutor,
    args: DefaultPreemptionArgs = {},
  ) {
    this.percentage = args.minCandidateNodesPercentage ?? 10;
    this.absolute = args.minCandidateNodesAbsolute ?? 100;
  }

  postFilter(
    state: CycleState,
    pod: PodInfo,
    statuses: ReadonlyMap<string, Status>,
  ): { result?: PostFilterResult; status: Result } {
    const ineligible = this.ineligibleReason(pod, statuses);
    if (ineligible) return { status: Status.unschedulable(ineligible) };
    const all = this.handle.snapshot.nodeInfos();
    const outcome = new Map<string, Status>();
    const potential: NodeInfo[] = [];
    for (const info of all) {
      const s = statuses.get(info.name);
      if (s && s.code === Code.UnschedulableAndUnresolvable)
        outcome.set(info.name, Status.unresolvable(NOT_HELPFUL));
      else potential.push(info);
    }
    if (potential.length === 0) {
      return {
        result: pod.pod.status?.nominatedNodeName ? { nominatedNodeName: '' } : undefined,
        status: Status.unschedulable(
          `preemption: ${fitErrorMessage(outcome.size, '', outcome, '')}`,
        ),
      };
    }
    const wanted = Math.min(
      potential.length,
      Math.max(Math.floor((potential.length * this.percentage) / 100), this.absolute),
    );
    const offset = Math.floor(this.handle.random() * potential.length);
    const pdbs = this.handle.podDisruptionBudgets();
    const candidates: Candidate[] = [];
    for (let i = 0; i < potential.length && candidates.length < wanted; i++) {
      const info = potential[(offset + i) % potential.length];
      const found = this.selectVictims(state.clone(), pod, info.clone(), pdbs);
      if ('status' in found) outcome.set(info.name, found.status);
      else candidates.push({ nodeName: info.name, ...found });
    }
    if (candidates.length === 0) {
      return {
        result: pod.pod.status?.nominatedNodeName ? { nominatedNodeName: '' } : undefined,
        status: Status.unschedulable(
          `preemption: ${fitErrorMessage(outcome.size, '', outcome, '')}`,
        ),
      };
    }
    const best = pickCandidate(candidates);
    const lower = this.handle
      .nominatedPodsForNode(best.nodeName)
      .filter((p) => p.priority < pod.priority && p.key !== pod.key)
      .map((p) => p.pod);
    this.executor.execute(
      pod.pod,
      best.nodeName,
      best.victims.map((v) => v.pod),
      lower,
    );
    return { result: { nominatedNodeName: best.nodeName }, status: null };
  }

  /** Why the pod may not preempt now, if it may not. */
  private ineligibleReason(
    pod: PodInfo,
    statuses: ReadonlyMap<string, Status>,
  ): string | undefined {
    if (pod.pod.spec?.preemptionPolicy === 'Never')
      return 'not eligible due to preemptionPolicy=Never.';
    const nominated = pod.pod.status?.nominatedNodeName;
    if (!nominated) return undefined;
    if (statuses.get(nominated)?.code === Code.UnschedulableAndUnresolvable) return undefined;
    const info = this.handle.snapshot.get(nominated);
    if (!info) return undefined;
    for (const p of info.pods)
      if (p.priority < pod.priority && p.pod.metadata.deletionTimestamp)
        return 'not eligible due to a terminating pod on the nominated node.';
    return undefined;
  }

  /** The fewest pods of lower priority to evict from `node` so the pod fits (or why none do). */
  selectVictims(
    state: CycleState,
    pod: PodInfo,
    node: NodeInfo,
    pdbs: readonly PodDisruptionBudgetInfo[],
  ): { victims: PodInfo[]; pdbViolations: number } | { status: Status } {
    const fwk = this.framework();
    const remove = (p: PodInfo) => {
      node.removePod(p.key);
      return fwk.runPreFilterRemovePod(state, pod, p, node);
    };
    const add = (p: PodInfo) => {
      node.addPod(p);
      return fwk.runPreFilterAddPod(state, pod, p, node);
    };
    const potential: PodInfo[] = [];
    for (const p of [...node.pods]) {
      if (p.priority >= pod.priority) continue;
      potential.push(p);
      const s = remove(p);
      if (s) return { status: s };
    }
    if (potential.length === 0) return { status: Status.unresolvable(NO_VICTIMS) };
    const fits = fwk.runFilterWithNominatedPods(state, pod, node);
    if (fits) return { status: fits };
    potential.sort((a, b) => (moreImportant(a, b) ? -1 : moreImportant(b, a) ? 1 : 0));
    const { violating, nonViolating } = splitByPdb(potential, pdbs);
    const victims: PodInfo[] = [];
    let pdbViolations = 0;
    const reprieve = (p: PodInfo): boolean | Status => {
      const s = add(p);
      if (s) return s;
      if (!fwk.runFilterWithNominatedPods(state, pod, node)) return true;
      const r = remove(p);
      if (r) return r;
      victims.push(p);
      return false;
    };
    for (const p of violating) {
      const kept = reprieve(p);
      if (kept instanceof Status) return { status: kept };
      if (!kept) pdbViolations++;
    }
    for (const p of nonViolating) {
      const kept = reprieve(p);
      if (kept instanceof Status) return { status: kept };
    }
    if (victims.length === 0)
      return { status: Status.error(`expected at least one victim pod on node "${node.name}"`) };
    return { victims, pdbViolations };
  }
}

function startTime(p: PodInfo): number {
  const t = p.pod.status?.startTime ?? p.pod.metadata.creationTimestamp;
  return t ? Date.parse(t) : Number.MAX_SAFE_INTEGER;
}

/** Higher priority first; among equals, the one running longer. */
export function moreImportant(a: PodInfo, b: PodInfo): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  return startTime(a) < startTime(b);
}

function splitByPdb(
  pods: PodInfo[],
  pdbs: readonly PodDisruptionBudgetInfo[],
): { violating: PodInfo[]; nonViolating: PodInfo[] } {
  const allowed = pdbs.map((p) => p.disruptionsAllowed);
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  for (const p of pods) {
    let violated = false;
    const labels = p.pod.metadata.labels;
    if (labels && Object.keys(labels).length > 0) {
      pdbs.forEach((pdb, i) => {
        if (pdb.namespace !== p.namespace) return;
        if (pdb.selector.nothing || pdb.selector.requirements.length === 0) return;
        if (!matchesLabels(pdb.selector, labels)) return;
        if (pdb.disruptedPods.has(p.name)) return;
        allowed[i]--;
        if (allowed[i] < 0) violated = true;
      });
    }
    (violated ? violating : nonViolating).push(p);
  }
  return { violating, nonViolating };
}

/**
 * The candidate that hurts least: fewest budget violations, then the lowest highest-priority
 * victim, the lowest sum of priorities, the fewest victims, the most recently started victims.
 */
export function pickCandidate(candidates: Candidate[]): Candidate {
  const OFFSET = 2 ** 31; // priorities may be negative: sum them shifted
  const keys = candidates.map((c) => ({
    c,
    k: [
      c.pdbViolations,
      Math.max(...c.victims.map((v) => v.priority)),
      c.victims.reduce((s, v) => s + v.priority + OFFSET, 0),
      c.victims.length,
      -earliestStart(c.victims),
    ],
  }));
  keys.sort((a, b) => {
    for (let i = 0; i < a.k.length; i++) if (a.k[i] !== b.k[i]) return a.k[i] - b.k[i];
    return 0;
  });
  return keys[0].c;
}

/** The earliest start among the highest-priority victims. */
function earliestStart(victims: PodInfo[]): number {
  if (victims.length === 0) return 0;
  const top = Math.max(...victims.map((v) => v.priority));
  return Math.min(...victims.filter((v) => v.priority === top).map(startTime));
}
