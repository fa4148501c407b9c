// Pure parts of the Job controller: which pods a Job has in which state, which indexes are done,
// what the next pods look like, and the failure policy's verdict on a failed pod.
import { cloneJson, type KubeObject } from '@flotilla/api';
import type { Pod } from '@flotilla/client';
import { ownerRefTo } from '../common/controller-ref';

export const JOB_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
/** On pods of an index under backoffLimitPerIndex: the failures of that index before this pod. */
export const INDEX_FAILURE_COUNT = 'batch.kubernetes.io/job-index-failure-count';

export type JobObject = KubeObject & {
  spec?: Record<string, unknown> & {
    parallelism?: number;
    completions?: number | null;
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    ttlSecondsAfterFinished?: number;
    completionMode?: string;
    suspend?: boolean;
    podFailurePolicy?: { rules?: FailureRule[] };
    backoffLimitPerIndex?: number;
    maxFailedIndexes?: number;
    successPolicy?: { rules?: SuccessRule[] };
    template?: { metadata?: KubeObject['metadata']; spec?: Record<string, unknown> };
  };
  status?: JobStatus;
};

export interface JobStatus {
  conditions?: JobCondition[];
  startTime?: string;
  completionTime?: string;
  active?: number;
  ready?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  completedIndexes?: string;
  failedIndexes?: string;
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
}

export interface JobCondition {
  type: string;
  status: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

interface FailureRule {
  action: 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';
  onExitCodes?: { containerName?: string; operator: 'In' | 'NotIn'; values: number[] };
  onPodConditions?: { type: string; status?: string }[];
}

interface SuccessRule {
  succeededIndexes?: string;
  succeededCount?: number;
}

export function isFinished(job: JobObject): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  }
  return undefined;
}

export function isIndexed(job: JobObject): boolean {
  return job.spec?.completionMode === 'Indexed';
}

export function indexOf(pod: Pod): number | undefined {
  const text = pod.metadata.annotations?.[JOB_COMPLETION_INDEX];
  const n = text !== undefined && /^\d+$/.test(text) ? Number(text) : NaN;
  return Number.isInteger(n) ? n : undefined;
}

/** "1,3-5,7" from a set of indexes, as status.completedIndexes is written. */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j;
  }
  return parts.join(',');
}

export function parseIndexes(text: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const end = m[2] === undefined ? Number(m[1]) : Number(m[2]);
    for (let i = Number(m[1]); i <= end && out.size < 1_000_000; i++) out.add(i);
  }
  return out;
}

/** A pod for the Job (with the given completion index when Indexed), tracked by the finalizer. */
export function podForJob(job: JobObject, index: number | undefined, indexFailures = 0): Pod {
  const template = job.spec?.template ?? {};
  const meta = template.metadata ?? {};
  const name = job.metadata.name!;
  const spec = cloneJson(template.spec ?? {}) as unknown as NonNullable<Pod['spec']>;
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: index === undefined ? `${name}-` : `${name}-${index}-`,
      namespace: job.metadata.namespace,
      labels: { ...(meta.labels ?? {}) },
      annotations: { ...(meta.annotations ?? {}) },
      finalizers: [...(meta.finalizers ?? []), JOB_TRACKING_FINALIZER],
      ownerReferences: [ownerRefTo(job, 'batch/v1', 'Job')],
    },
    spec,
  };
  if (index !== undefined) {
    pod.metadata.annotations![JOB_COMPLETION_INDEX] = String(index);
    pod.metadata.labels![JOB_COMPLETION_INDEX] = String(index);
    if (typeof job.spec?.backoffLimitPerIndex === 'number')
      pod.metadata.annotations![INDEX_FAILURE_COUNT] = String(indexFailures);
    // Pods of an Indexed Job are addressable by a stable hostname, as Kubernetes names them.
    spec.hostname ??= `${name}-${index}`;
    const env = {
      name: 'JOB_COMPLETION_INDEX',
      valueFrom: {
        fieldRef: {
          apiVersion: 'v1',
          fieldPath: `metadata.labels['${JOB_COMPLETION_INDEX}']`,
        },
      },
    };
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      if (!(c.env ?? []).some((e) => e.name === env.name)) c.env = [...(c.env ?? []), env];
    }
  }
  return pod;
}

/** The failures of a pod's index before it (its annotation), plus one when it failed itself. */
export function indexFailuresAfter(pod: Pod): number {
  const text = pod.metadata.annotations?.[INDEX_FAILURE_COUNT] ?? '0';
  const before = /^\d+$/.test(text) ? Number(text) : 0;
  return before + (pod.status?.phase === 'Failed' ? 1 : 0);
}

export interface FailureVerdict {
  action: FailureRule['action'];
  /** For FailJob and FailIndex: the condition message Kubernetes writes. */
  message?: string;
}

/** The pod failure policy's verdict on a failed pod (Count when no rule matches). */
export function failureVerdict(job: JobObject, pod: Pod): FailureVerdict {
  const podName = `${pod.metadata.namespace}/${pod.metadata.name}`;
  const rules = job.spec?.podFailurePolicy?.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (rule.onExitCodes) {
      const { containerName, operator, values } = rule.onExitCodes;
      for (const s of pod.status?.containerStatuses ?? []) {
        if (containerName && s.name !== containerName) continue;
        const code = s.state?.terminated?.exitCode;
        if (typeof code !== 'number' || code === 0) continue;
        if (operator === 'In' ? values.includes(code) : !values.includes(code))
          return {
            action: rule.action,
            message: `Container ${s.name} for pod ${podName} failed with exit code ${code} matching ${rule.action} rule at index ${i}`,
          };
      }
    }
    if (rule.onPodConditions) {
      const conditions = pod.status?.conditions ?? [];
      const hit = rule.onPodConditions.find((p) =>
        conditions.some((c) => c.type === p.type && c.status === (p.status ?? 'True')),
      );
      if (hit)
        return {
          action: rule.action,
          message: `Pod ${podName} has condition ${hit.type} matching ${rule.action} rule at index ${i}`,
        };
    }
  }
  return { action: 'Count' };
}

/** The index of the first successPolicy rule the completed indexes satisfy. */
export function successRuleMet(job: JobObject, completed: Set<number>): number | undefined {
  const rules = job.spec?.successPolicy?.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const { succeededIndexes, succeededCount } = rules[i];
    const wanted = succeededIndexes !== undefined ? parseIndexes(succeededIndexes) : undefined;
    const done = wanted ? [...wanted].filter((x) => completed.has(x)).length : completed.size;
    if (typeof succeededCount === 'number') {
      if (done >= succeededCount) return i;
    } else if (wanted && done === wanted.size) {
      return i;
    }
  }
  return undefined;
}

export function setCondition(
  status: JobStatus,
  type: string,
  condStatus: 'True' | 'False',
  reason: string,
  message: string,
  now: string,
): void {
  const conditions = status.conditions ?? [];
  const existing = conditions.find((c) => c.type === type);
  if (existing) {
    if (existing.status !== condStatus) {
      existing.lastTransitionTime = now;
      existing.status = condStatus;
    }
    existing.reason = reason;
    existing.message = message;
    existing.lastProbeTime = now;
  } else {
    conditions.push({
      type,
      status: condStatus,
      lastProbeTime: now,
      lastTransitionTime: now,
      reason,
      message,
    });
  }
  status.conditions = conditions;
}
