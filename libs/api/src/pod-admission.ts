// What Kubernetes' built-in admission adds to a new pod: default tolerations, priority, service account, QoS class.
import type { JsonObject } from './object';
import { isPlainObject } from './object';
import { parseQuantity } from './quantity';

export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';
export const DEFAULT_TOLERATION_SECONDS = 300;

function tolerates(tolerations: JsonObject[], key: string): boolean {
  return tolerations.some(
    (t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect),
  );
}

/** How long pods tolerate a not-ready and an unreachable node unless they say otherwise. */
export interface DefaultTolerationSeconds {
  notReady: number;
  unreachable: number;
}

export const DEFAULT_TOLERATIONS: DefaultTolerationSeconds = Object.freeze({
  notReady: DEFAULT_TOLERATION_SECONDS,
  unreachable: DEFAULT_TOLERATION_SECONDS,
});

/**
 * The DefaultTolerationSeconds admission: a pod that does not tolerate the not-ready or the
 * unreachable NoExecute taint gets a toleration for it, for 300 s unless configured otherwise
 * (kube-apiserver's --default-not-ready-toleration-seconds and
 * --default-unreachable-toleration-seconds). Returns whether it added any.
 */
export function addDefaultTolerations(
  spec: JsonObject,
  seconds: DefaultTolerationSeconds = DEFAULT_TOLERATIONS,
): boolean {
  const tolerations = Array.isArray(spec.tolerations)
    ? (spec.tolerations.filter(isPlainObject) as JsonObject[])
    : [];
  const added: JsonObject[] = [];
  const wanted: [string, number][] = [
    [NOT_READY_TAINT, seconds.notReady],
    [UNREACHABLE_TAINT, seconds.unreachable],
  ];
  for (const [key, tolerationSeconds] of wanted) {
    if (!tolerates(tolerations, key)) {
      added.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds });
    }
  }
  if (added.length > 0) spec.tolerations = [...tolerations, ...added];
  return added.length > 0;
}

function resourceMap(c: JsonObject, kind: 'requests' | 'limits'): Record<string, unknown> {
  const resources = isPlainObject(c.resources) ? c.resources : {};
  const map = resources[kind];
  return isPlainObject(map) ? map : {};
}

/** Guaranteed, Burstable or BestEffort, from the cpu and memory requests and limits of all containers. */
export function podQosClass(spec: JsonObject): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all = [
    ...(Array.isArray(spec.containers) ? spec.containers : []),
    ...(Array.isArray(spec.initContainers) ? spec.initContainers : []),
  ].filter(isPlainObject) as JsonObject[];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const requests = resourceMap(c, 'requests');
    const limits = resourceMap(c, 'limits');
    for (const name of ['cpu', 'memory']) {
      const req = parseQuantity(requests[name]);
      const lim = parseQuantity(limits[name]);
      if ((req ?? 0) > 0 || (lim ?? 0) > 0) any = true;
      if (lim === undefined || (req !== undefined && req !== lim)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** Admission defaults for a new pod (not for templates): tolerations, priority, service account. */
export function admitPod(
  spec: JsonObject,
  tolerations?: DefaultTolerationSeconds,
  serviceAccount = true,
): void {
  addDefaultTolerations(spec, tolerations);
  if (spec.priority === undefined) spec.priority = 0;
  if (spec.preemptionPolicy === undefined) spec.preemptionPolicy = 'PreemptLowerPriority';
  if (!serviceAccount) return;
  if (!spec.serviceAccountName) spec.serviceAccountName = 'default';
  if (!spec.serviceAccount) spec.serviceAccount = spec.serviceAccountName;
}
