// Pure parts of the DaemonSet controller: which nodes should run a daemon pod (node selector,
// required node affinity, taints with the tolerations DaemonSet pods get), the template hash that
// names a revision, and the pod for a node.
import { cloneJson, labelSelectorFromObject, type KubeObject } from '@flotilla/api';
import type { coreV1, Node, Pod } from '@flotilla/client';
import { createHash } from 'node:crypto';
import { ownerRefTo } from '../common/controller-ref';
import {
  tolerates,
  TAINT_DISK_PRESSURE,
  TAINT_MEMORY_PRESSURE,
  TAINT_NETWORK_UNAVAILABLE,
  TAINT_NOT_READY,
  TAINT_PID_PRESSURE,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
  type Toleration,
} from '../node-lifecycle/taints';

export const REVISION_HASH_LABEL = 'controller-revision-hash';

export type DaemonSetObject = KubeObject & {
  spec?: {
    selector?: Parameters<typeof labelSelectorFromObject>[0];
    template?: { metadata?: KubeObject['metadata']; spec?: Record<string, unknown> };
    updateStrategy?: {
      type?: string;
      rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string };
    };
    minReadySeconds?: number;
    revisionHistoryLimit?: number;
  };
  status?: Record<string, unknown>;
};

/** The tolerations Kubernetes adds to every DaemonSet pod (so it runs where others may not). */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const out: Toleration[] = [
    { key: TAINT_NOT_READY, operator: 'Exists', effect: 'NoExecute' },
    { key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
    { key: TAINT_DISK_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: TAINT_MEMORY_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: TAINT_PID_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: TAINT_UNSCHEDULABLE, operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork)
    out.push({ key: TAINT_NETWORK_UNAVAILABLE, operator: 'Exists', effect: 'NoSchedule' });
  return out;
}

/** The template's hash: names its ControllerRevision and labels its pods. */
export function templateHash(ds: DaemonSetObject): string {
  const text = JSON.stringify(ds.spec?.template ?? {});
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

type Term = { matchExpressions?: Requirement[]; matchFields?: Requirement[] };
type Requirement = { key: string; operator: string; values?: string[] };

function requirementHolds(r: Requirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && Number(value) > Number(values[0]);
    case 'Lt':
      return value !== undefined && Number(value) < Number(values[0]);
    default:
      return false;
  }
}

function termMatches(term: Term, node: Node): boolean {
  const labels = node.metadata.labels ?? {};
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  return (
    exprs.every((r) => requirementHolds(r, labels[r.key])) &&
    fields.every((r) =>
      requirementHolds(r, r.key === 'metadata.name' ? node.metadata.name : undefined),
    )
  );
}

/**
 * Whether a daemon pod of this template belongs on the node (kube's NodeShouldRunDaemonPod):
 * `run` to create one, `keep` to leave one running (an untolerated NoSchedule taint stops new
 * pods only; NoExecute stops both).
 */
export function shouldRun(ds: DaemonSetObject, node: Node): { run: boolean; keep: boolean } {
  const spec = (ds.spec?.template?.spec ?? {}) as unknown as coreV1.PodSpec;
  const selector = spec.nodeSelector ?? {};
  const labels = node.metadata.labels ?? {};
  const no = { run: false, keep: false };
  if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) return no;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
    ?.nodeSelectorTerms as Term[] | undefined;
  if (terms && terms.length > 0 && !terms.some((t) => termMatches(t, node))) return no;
  const tolerations = [
    ...(spec.tolerations ?? []),
    ...daemonTolerations(spec.hostNetwork === true),
  ];
  let run = true;
  for (const taint of node.spec?.taints ?? []) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (tolerations.some((t) => tolerates(t, taint))) continue;
    if (taint.effect === 'NoExecute') return no;
    run = false;
  }
  return { run, keep: true };
}

/** The daemon pod for a node: pinned there by node affinity (the scheduler binds it), as Kubernetes does. */
export function podForNode(ds: DaemonSetObject, node: string, hash: string): Pod {
  const template = ds.spec?.template ?? {};
  const meta = template.metadata ?? {};
  const spec = cloneJson(template.spec ?? {}) as unknown as NonNullable<Pod['spec']>;
  const tolerations = [...(spec.tolerations ?? [])];
  for (const t of daemonTolerations(spec.hostNetwork === true)) {
    if (!tolerations.some((x) => x.key === t.key && x.effect === t.effect)) tolerations.push(t);
  }
  spec.tolerations = tolerations;
  const pin = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] };
  const affinity = spec.affinity ?? {};
  const nodeAffinity = affinity.nodeAffinity ?? {};
  const required = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  const terms = (required?.nodeSelectorTerms ?? []).map((t) => ({
    ...t,
    matchFields: [
      ...(t.matchFields ?? []).filter((f) => f.key !== 'metadata.name'),
      ...pin.matchFields,
    ],
  }));
  spec.affinity = {
    ...affinity,
    nodeAffinity: {
      ...nodeAffinity,
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: terms.length ? terms : [pin],
      },
    },
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${ds.metadata.name}-`,
      namespace: ds.metadata.namespace,
      labels: { ...(meta.labels ?? {}), [REVISION_HASH_LABEL]: hash },
      annotations: { ...(meta.annotations ?? {}) },
      ownerReferences: [ownerRefTo(ds, 'apps/v1', 'DaemonSet')],
    },
    spec,
  };
}

/** The node a daemon pod is for: its bound node, or the one its affinity pins. */
export function nodeOfPod(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
      ?.nodeSelectorTerms ?? [];
  for (const t of terms)
    for (const f of t.matchFields ?? [])
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1)
        return f.values[0];
  return undefined;
}

/** An int-or-percent against a total, rounded up for percentages (maxUnavailable, maxSurge). */
export function daemonScaledValue(
  v: number | string | undefined,
  total: number,
  fallback: number,
): number {
  if (typeof v === 'number') return v;
  const m = typeof v === 'string' ? /^(\d+)%$/.exec(v) : null;
  return m ? Math.ceil((Number(m[1]) * total) / 100) : fallback;
}
