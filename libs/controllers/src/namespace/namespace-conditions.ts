// The conditions a terminating namespace reports (Kubernetes' five deletion conditions), each
// True with what went wrong or False with the reason it is fine. A condition keeps its
// lastTransitionTime while its status does not change.
import type { coreV1 } from '@flotilla/client';
import type { DeletionOutcome } from './content-deleter';

export type NamespaceCondition = coreV1.NamespaceCondition;

export interface DeletionReport {
  discoveryFailures: string[];
  outcome?: DeletionOutcome;
}

function counted(m: Map<string, number>, noun: string): string {
  return [...m.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, n]) => `${k} ${noun} ${n} resource instances`)
    .join(', ');
}

export function deletionConditions(
  report: DeletionReport,
): Omit<NamespaceCondition, 'lastTransitionTime'>[] {
  const o = report.outcome;
  const cond = (type: string, bad: string | undefined, badReason: string, okReason: string) =>
    bad
      ? { type, status: 'True', reason: badReason, message: bad }
      : {
          type,
          status: 'False',
          reason: okReason,
          message: 'All resources successfully discovered',
        };
  const out = [
    cond(
      'NamespaceDeletionDiscoveryFailure',
      report.discoveryFailures.length > 0
        ? `Discovery failed for some groups: ${report.discoveryFailures.join('; ')}`
        : undefined,
      'DiscoveryFailed',
      'ResourcesDiscovered',
    ),
    cond(
      'NamespaceDeletionGroupVersionParsingFailure',
      undefined,
      'GroupVersionParsingFailed',
      'ParsedGroupVersions',
    ),
    cond(
      'NamespaceDeletionContentFailure',
      o && o.failures.length > 0
        ? `Failed to delete all resource types, ${o.failures.length} remaining: ${o.failures.join('; ')}`
        : undefined,
      'ContentDeletionFailed',
      'ContentDeleted',
    ),
    cond(
      'NamespaceContentRemaining',
      o && o.remaining.size > 0
        ? `Some resources are remaining: ${counted(o.remaining, 'has')}`
        : undefined,
      'SomeResourcesRemain',
      'ContentRemoved',
    ),
    cond(
      'NamespaceFinalizersRemaining',
      o && o.finalizers.size > 0
        ? `Some content in the namespace has finalizers remaining: ${counted(o.finalizers, 'in')}`
        : undefined,
      'SomeFinalizersRemain',
      'ContentHasNoFinalizers',
    ),
  ];
  // Only the discovery condition says "discovered"; the others say what they are about.
  const okMessages: Record<string, string> = {
    NamespaceDeletionGroupVersionParsingFailure: 'All legacy kube types successfully parsed',
    NamespaceDeletionContentFailure:
      'All content successfully deleted, may be waiting on finalization',
    NamespaceContentRemaining: 'All content successfully removed',
    NamespaceFinalizersRemaining: 'All content-preserving finalizers finished',
  };
  for (const c of out)
    if (c.status === 'False' && okMessages[c.type]) c.message = okMessages[c.type];
  return out;
}

/** `next` conditions, keeping the transition time of those whose status did not change. */
export function mergeConditions(
  previous: readonly NamespaceCondition[] | undefined,
  next: Omit<NamespaceCondition, 'lastTransitionTime'>[],
  nowText: string,
): NamespaceCondition[] {
  const kept = (previous ?? []).filter((p) => !next.some((n) => n.type === p.type));
  return [
    ...kept,
    ...next.map((n) => {
      const old = (previous ?? []).find((p) => p.type === n.type);
      const same = old?.status === n.status;
      return {
        ...n,
        lastTransitionTime: same && old?.lastTransitionTime ? old.lastTransitionTime : nowText,
      };
    }),
  ];
}
