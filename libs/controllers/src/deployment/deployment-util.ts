// The bookkeeping of a Deployment's ReplicaSets, as kube's deployment util keeps it: which
// ReplicaSet is the new one (its template equals the Deployment's, pod-template-hash aside),
// revisions and their history, the desired/max replicas annotations proportional scaling reads,
// the pod-template-hash itself, and the Progressing/Available conditions.
import { cloneJson, jsonEqual } from '@flotilla/api';
import type { Deployment, ReplicaSet, appsV1 } from '@flotilla/client';
import { rfc3339 } from '../common/time';
import { resolveFenceposts } from './int-or-percent';

export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const CHANGE_CAUSE = 'kubernetes.io/change-cause';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const ROLLBACK_TO = 'deprecated.deployment.rollback.to';
/** Annotations a Deployment does not pass on to its ReplicaSets. */
const NOT_COPIED = new Set([
  LAST_APPLIED,
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  ROLLBACK_TO,
]);
const MAX_REVISION_HISTORY_CHARS = 2000;
/** progressDeadlineSeconds of MaxInt32 means "no deadline". */
const NO_DEADLINE = 2 ** 31 - 1;

// Condition reasons (kube's deployment util).
export const REASON = Object.freeze({
  newRSAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  rsUpdated: 'ReplicaSetUpdated',
  newRSCreated: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  failedRSCreate: 'ReplicaSetCreateError',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minAvailable: 'MinimumReplicasAvailable',
  minUnavailable: 'MinimumReplicasUnavailable',
});

export type DeploymentCondition = appsV1.DeploymentCondition;
export type DeploymentStatus = appsV1.DeploymentStatus;

export const replicasOf = (o: { spec?: { replicas?: number } } | undefined): number =>
  o?.spec?.replicas ?? 1;

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge ?? '25%', ru?.maxUnavailable ?? '25%', replicasOf(d))[0];
}

export function maxUnavailable(d: Deployment): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  const [, unavailable] = resolveFenceposts(
    ru?.maxSurge ?? '25%',
    ru?.maxUnavailable ?? '25%',
    replicas,
  );
  return Math.min(unavailable, replicas);
}

export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return s !== undefined && s !== null && s !== NO_DEADLINE;
}

// ---- the pod-template-hash ------------------------------------------------------------------

/** JSON with object keys sorted: one text per template, whatever order its fields came in. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function fnv32a(bytes: Uint8Array, hash = 0x811c9dc5): number {
  let h = hash;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** kube's rand.SafeEncodeString: no vowels (no words), no 0/1/3 (no look-alikes). */
function safeEncode(s: string): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...Buffer.from(s)].map((b) => alphabet[b % alphabet.length]).join('');
}

/**
 * The pod-template-hash of a template (kube's ComputeHash: FNV-32a of the template, then of the
 * collision count, written as a decimal and safe-encoded). Kubernetes hashes Go's printout of the
 * struct; this hashes canonical JSON, so the values differ from a real cluster's but behave alike.
 */
export function computeHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(Buffer.from(canonicalJson(withoutNullTimestamp(template))));
  if (collisionCount !== undefined && collisionCount !== null) {
    const c = Buffer.alloc(4);
    c.writeUInt32LE(collisionCount >>> 0);
    h = fnv32a(c, h);
  }
  return safeEncode(String(h));
}

/**
 * The template without `metadata.creationTimestamp: null`, which clients send (kubectl rollout
 * undo patches the template with Go's printout of an empty timestamp) and which means no value,
 * as it does to Kubernetes' typed structs.
 */
function withoutNullTimestamp(template: unknown): unknown {
  const t = (template ?? {}) as { metadata?: Record<string, unknown> };
  if (t.metadata?.creationTimestamp !== null) return template;
  const { creationTimestamp: _null, ...metadata } = t.metadata;
  return { ...t, metadata };
}

function withoutHash(template: unknown): unknown {
  const t = cloneJson(withoutNullTimestamp(template) as Record<string, unknown>);
  const meta = (t.metadata ?? {}) as { labels?: Record<string, string> };
  if (meta.labels) {
    delete meta.labels[POD_TEMPLATE_HASH];
    if (Object.keys(meta.labels).length === 0) delete meta.labels;
  }
  if (t.metadata && Object.keys(t.metadata as object).length === 0) delete t.metadata;
  return t;
}

/** The two templates are the same but for the pod-template-hash label. */
export function equalIgnoreHash(a: unknown, b: unknown): boolean {
  return jsonEqual(withoutHash(a), withoutHash(b));
}

// ---- finding the new and the old ReplicaSets ---------------------------------------------------

const created = (rs: ReplicaSet) => Date.parse(rs.metadata.creationTimestamp ?? '') || 0;

/** Oldest first; same second: by name (kube's ReplicaSetsByCreationTimestamp). */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  return (
    created(a) - created(b) ||
    (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0)
  );
}

/** The oldest ReplicaSet whose template is the Deployment's. */
export function findNewReplicaSet(
  d: Deployment,
  sets: readonly ReplicaSet[],
): ReplicaSet | undefined {
  return [...sets]
    .sort(byCreation)
    .find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

export const isActive = (rs: ReplicaSet | undefined): rs is ReplicaSet =>
  !!rs && replicasOf(rs) > 0;

export function revisionOf(rs: { metadata: { annotations?: Record<string, string> } }): number {
  const text = rs.metadata.annotations?.[REVISION];
  const n = text !== undefined && /^\d+$/.test(text) ? Number(text) : 0;
  return n;
}

export function maxRevision(sets: readonly ReplicaSet[]): number {
  return sets.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/** Oldest revision first; same revision: by creation (kube's ReplicaSetsByRevision). */
export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  return revisionOf(a) - revisionOf(b) || byCreation(a, b);
}

// ---- annotations --------------------------------------------------------------------------------

type Annotated = { metadata: { annotations?: Record<string, string> } };

function annotations(o: Annotated): Record<string, string> {
  return (o.metadata.annotations ??= {});
}

/** The Deployment's own annotations on the ReplicaSet (some excepted); true when any changed. */
function copyAnnotations(d: Deployment, rs: Annotated): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (NOT_COPIED.has(k) || rs.metadata.annotations?.[k] === v) continue;
    annotations(rs)[k] = v;
    changed = true;
  }
  return changed;
}

export function setReplicasAnnotations(rs: Annotated, desired: number, max: number): boolean {
  const a = annotations(rs);
  let changed = false;
  if (a[DESIRED_REPLICAS] !== String(desired)) {
    a[DESIRED_REPLICAS] = String(desired);
    changed = true;
  }
  if (a[MAX_REPLICAS] !== String(max)) {
    a[MAX_REPLICAS] = String(max);
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(
  rs: ReplicaSet,
  desired: number,
  max: number,
): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[DESIRED_REPLICAS] !== String(desired) || a[MAX_REPLICAS] !== String(max);
}

/**
 * The new ReplicaSet's annotations (kube's SetNewReplicaSetAnnotations): the Deployment's, the
 * new revision (an older revision it had moves into the revision history: a rollback to it),
 * and, for one about to be created, the replicas annotations. True when any changed.
 */
export function setNewReplicaSetAnnotations(
  d: Deployment,
  rs: Annotated,
  newRevision: number,
  exists: boolean,
): boolean {
  let changed = copyAnnotations(d, rs);
  const a = annotations(rs);
  const oldText = a[REVISION];
  const hadRevision = oldText !== undefined;
  if (hadRevision && !/^\d+$/.test(oldText)) return false;
  const oldRevision = hadRevision ? Number(oldText) : 0;
  if (oldRevision < newRevision) {
    a[REVISION] = String(newRevision);
    changed = true;
    if (hadRevision) {
      const history = (a[REVISION_HISTORY] ?? '').split(',').filter((s) => s !== '');
      history.push(oldText);
      while (history.join(',').length > MAX_REVISION_HISTORY_CHARS && history.length > 1)
        history.shift();
      a[REVISION_HISTORY] = history.join(',');
    }
  }
  if (!exists) {
    const desired = replicasOf(d as { spec?: { replicas?: number } });
    if (setReplicasAnnotations(rs, desired, desired + maxSurge(d))) changed = true;
  }
  return changed;
}

export function desiredReplicasAnnotation(rs: ReplicaSet): number | undefined {
  const text = rs.metadata.annotations?.[DESIRED_REPLICAS];
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

function maxReplicasAnnotation(rs: ReplicaSet): number | undefined {
  const text = rs.metadata.annotations?.[MAX_REPLICAS];
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

// ---- counting -----------------------------------------------------------------------------------

export const specReplicas = (sets: readonly (ReplicaSet | undefined)[]) =>
  sets.reduce((n, rs) => n + (rs ? replicasOf(rs) : 0), 0);
export const actualReplicas = (sets: readonly (ReplicaSet | undefined)[]) =>
  sets.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
export const readyReplicas = (sets: readonly (ReplicaSet | undefined)[]) =>
  sets.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
export const availableReplicas = (sets: readonly (ReplicaSet | undefined)[]) =>
  sets.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);

/** kube's NewRSNewReplicas: how big the new ReplicaSet may be now. */
export function newRSNewReplicas(
  d: Deployment,
  all: readonly ReplicaSet[],
  newRS: ReplicaSet,
): number {
  const desired = replicasOf(d);
  if (!isRollingUpdate(d)) return desired;
  const current = specReplicas(all);
  const maxTotal = desired + maxSurge(d);
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, desired - replicasOf(newRS));
  return replicasOf(newRS) + up;
}

/** The new ReplicaSet has all the replicas, available, for the Deployment's current size. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = replicasOf(d);
  return (
    replicasOf(rs) === desired &&
    desiredReplicasAnnotation(rs) === desired &&
    (rs.status?.availableReplicas ?? 0) === desired
  );
}

/** kube's getReplicaSetFraction: this ReplicaSet's share of a change of the Deployment's size. */
function fraction(rs: ReplicaSet, d: Deployment): number {
  const desired = replicasOf(d);
  if (desired === 0) return -replicasOf(rs);
  const maxNow = desired + maxSurge(d);
  let before = maxReplicasAnnotation(rs);
  if (!before) {
    before = d.status?.replicas ?? 0;
    if (before === 0) return 0;
  }
  return roundHalfAway((replicasOf(rs) * maxNow) / before) - replicasOf(rs);
}

function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

export function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const f = fraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(f, allowed) : Math.max(f, allowed);
}

// ---- status -------------------------------------------------------------------------------------

export function conditionOf(status: DeploymentStatus | undefined, type: string) {
  return status?.conditions?.find((c) => c.type === type);
}

export function newCondition(
  type: string,
  status: string,
  reason: string,
  message: string,
  now: number,
): DeploymentCondition {
  const t = rfc3339(now);
  return { type, status, reason, message, lastUpdateTime: t, lastTransitionTime: t };
}

/** kube's SetDeploymentCondition: no change for the same status and reason; keeps the transition time while the status holds. */
export function setCondition(status: DeploymentStatus, c: DeploymentCondition): DeploymentStatus {
  const cur = conditionOf(status, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return status;
  const next = { ...c };
  if (cur && cur.status === c.status) next.lastTransitionTime = cur.lastTransitionTime;
  return {
    ...status,
    conditions: [...(status.conditions ?? []).filter((x) => x.type !== c.type), next],
  };
}

export function removeCondition(status: DeploymentStatus, type: string): DeploymentStatus {
  const rest = (status.conditions ?? []).filter((c) => c.type !== type);
  const out = { ...status, conditions: rest };
  if (rest.length === 0) delete (out as { conditions?: unknown }).conditions;
  return out;
}

/** kube's calculateStatus: counts from the ReplicaSets, and the Available condition. */
export function calculateStatus(
  all: readonly (ReplicaSet | undefined)[],
  newRS: ReplicaSet | undefined,
  d: Deployment,
  now: number,
): DeploymentStatus {
  const available = availableReplicas(all);
  const unavailable = Math.max(0, specReplicas(all) - available);
  let status: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: actualReplicas(all),
    updatedReplicas: actualReplicas([newRS]),
    readyReplicas: readyReplicas(all),
    availableReplicas: available,
    unavailableReplicas: unavailable,
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions?.length) status.conditions = d.status.conditions.map((c) => ({ ...c }));
  status =
    available >= replicasOf(d) - maxUnavailable(d)
      ? setCondition(
          status,
          newCondition(
            'Available',
            'True',
            REASON.minAvailable,
            'Deployment has minimum availability.',
            now,
          ),
        )
      : setCondition(
          status,
          newCondition(
            'Available',
            'False',
            REASON.minUnavailable,
            'Deployment does not have minimum availability.',
            now,
          ),
        );
  return status;
}

export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const want = replicasOf(d);
  return (
    (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want &&
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = conditionOf(s, 'Progressing');
  if (!c) return false;
  if (c.reason === REASON.newRSAvailable) return false;
  if (c.reason === REASON.timedOut) return true;
  const from = Date.parse(c.lastUpdateTime ?? '');
  return Number.isFinite(from) && from + d.spec!.progressDeadlineSeconds! * 1000 < now;
}
