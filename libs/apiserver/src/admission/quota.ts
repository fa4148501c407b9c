// ResourceQuota and LimitRange admission (kube's ResourceQuota and LimitRanger plugins), on
// create. LimitRange fills in a container's missing requests and limits from the namespace's
// defaults and refuses what lies outside min/max. ResourceQuota refuses an object that would take
// the namespace past a quota's hard limits, with Kubernetes' messages, and records the new usage
// in the quota's status (under a resourceVersion precondition) before the object is written, so
// two creations racing for the last unit cannot both pass.
import {
  apiErrors,
  formatQuantity,
  isPlainObject,
  parseQuantity,
  quotaUsageOf,
  type JsonObject,
  type KubeObject,
  type ResourceInfo,
} from '@flotilla/api';

type Usage = Record<string, number>;

export { quotaUsageOf as usageOf };

const COMPUTE = ['cpu', 'memory', 'ephemeral-storage'];

function containersOf(spec: JsonObject): JsonObject[] {
  return [
    ...(Array.isArray(spec.containers) ? spec.containers : []),
    ...(Array.isArray(spec.initContainers) ? spec.initContainers : []),
  ].filter(isPlainObject) as JsonObject[];
}

function resourcesOf(c: JsonObject, kind: 'requests' | 'limits'): Record<string, unknown> {
  const r = isPlainObject(c.resources) ? c.resources : {};
  return isPlainObject(r[kind]) ? (r[kind] as Record<string, unknown>) : {};
}

/** The compute resources a quota tracks that some container of the pod does not set. */
function missingCompute(o: KubeObject, hard: Record<string, unknown>): string[] {
  const spec = isPlainObject(o.spec) ? o.spec : {};
  const missing: string[] = [];
  for (const key of Object.keys(hard).sort()) {
    const m =
      /^(requests|limits)\.(cpu|memory|ephemeral-storage)$/.exec(key) ??
      (COMPUTE.includes(key) ? [key, 'requests', key] : null);
    if (!m) continue;
    const kind = m[1] as 'requests' | 'limits';
    if (containersOf(spec).some((c) => resourcesOf(c, kind)[m[2]] === undefined)) missing.push(key);
  }
  return missing;
}

const fmt = (entries: [string, number][]) =>
  entries.map(([k, v]) => `${k}=${formatQuantity(v)}`).join(',');

export interface QuotaDecision {
  /** Quotas whose status.used moves, with their new usage. */
  updates: { quota: KubeObject; used: Record<string, string> }[];
}

/**
 * Checks an object against the namespace's quotas; `usedNow` gives the current usage of a quota
 * whose status does not have it yet (computed from the stored objects).
 */
export async function admitQuota(
  r: ResourceInfo,
  o: KubeObject,
  quotas: KubeObject[],
  usedNow: (resource: string) => Promise<number>,
): Promise<QuotaDecision> {
  const delta = quotaUsageOf(r, o);
  const updates: QuotaDecision['updates'] = [];
  const forbidden = (message: string) => apiErrors.forbidden(r, o.metadata.name ?? '', message);
  for (const quota of quotas) {
    const hard = isPlainObject(quota.spec) && isPlainObject(quota.spec.hard) ? quota.spec.hard : {};
    const keys = Object.keys(hard).filter((k) => k in delta);
    if (keys.length === 0) continue;
    if (r.group === '' && r.plural === 'pods') {
      const missing = missingCompute(o, hard);
      if (missing.length > 0)
        throw forbidden(`failed quota: ${quota.metadata.name}: must specify ${missing.join(',')}`);
    }
    const status = isPlainObject(quota.status) ? quota.status : {};
    const usedText = isPlainObject(status.used) ? status.used : {};
    const used: Usage = {};
    for (const k of keys) {
      const known = parseQuantity(usedText[k]);
      used[k] = known ?? (await usedNow(k));
    }
    const over = keys.filter(
      (k) => used[k] + delta[k] > (parseQuantity(hard[k]) ?? 0) && delta[k] > 0,
    );
    if (over.length > 0) {
      throw forbidden(
        `exceeded quota: ${quota.metadata.name}, requested: ${fmt(over.map((k) => [k, delta[k]]))}, used: ${fmt(over.map((k) => [k, used[k]]))}, limited: ${fmt(over.map((k) => [k, parseQuantity(hard[k]) ?? 0]))}`,
      );
    }
    const next: Record<string, string> = Object.fromEntries(
      Object.entries(usedText).map(([k, v]) => [k, String(v)]),
    );
    for (const k of keys) next[k] = formatQuantity(used[k] + delta[k]);
    updates.push({ quota, used: next });
  }
  return { updates };
}

/**
 * LimitRanger: a container without requests or limits gets the namespace's defaults (and a
 * request equal to its limit when only that is known); then every container must lie within
 * min and max. Mutates `pod`.
 */
export function admitLimitRanges(r: ResourceInfo, pod: KubeObject, ranges: KubeObject[]): void {
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  const problems: string[] = [];
  for (const range of ranges) {
    const limits =
      isPlainObject(range.spec) && Array.isArray(range.spec.limits) ? range.spec.limits : [];
    for (const item of limits) {
      if (!isPlainObject(item) || item.type !== 'Container') continue;
      const dflt = isPlainObject(item.default) ? item.default : {};
      const dfltReq = isPlainObject(item.defaultRequest) ? item.defaultRequest : {};
      const min = isPlainObject(item.min) ? item.min : {};
      const max = isPlainObject(item.max) ? item.max : {};
      for (const c of containersOf(spec)) {
        const res = (isPlainObject(c.resources) ? c.resources : (c.resources = {})) as JsonObject;
        const lim = (isPlainObject(res.limits) ? res.limits : (res.limits = {})) as JsonObject;
        const req = (
          isPlainObject(res.requests) ? res.requests : (res.requests = {})
        ) as JsonObject;
        for (const [name, v] of Object.entries(dflt)) if (lim[name] === undefined) lim[name] = v;
        for (const [name, v] of Object.entries(dfltReq)) if (req[name] === undefined) req[name] = v;
        for (const name of Object.keys(lim)) if (req[name] === undefined) req[name] = lim[name];
        if (Object.keys(lim).length === 0) delete res.limits;
        if (Object.keys(req).length === 0) delete res.requests;
        for (const [name, v] of Object.entries(min)) {
          const want = parseQuantity(v) ?? 0;
          const has = parseQuantity(req[name]);
          if (has === undefined)
            problems.push(
              `minimum ${name} usage per Container is ${String(v)}.  No request is specified`,
            );
          else if (has < want)
            problems.push(
              `minimum ${name} usage per Container is ${String(v)}, but request is ${String(req[name])}`,
            );
        }
        for (const [name, v] of Object.entries(max)) {
          const cap = parseQuantity(v) ?? 0;
          const has = parseQuantity(lim[name]);
          if (has === undefined)
            problems.push(
              `maximum ${name} usage per Container is ${String(v)}.  No limit is specified`,
            );
          else if (has > cap)
            problems.push(
              `maximum ${name} usage per Container is ${String(v)}, but limit is ${String(lim[name])}`,
            );
        }
      }
    }
  }
  if (problems.length > 0)
    throw apiErrors.forbidden(r, pod.metadata.name ?? '', `[${problems.join(', ')}]`);
}
