// Fields an update may not change, per kind (the ValidateXUpdate functions of Kubernetes).
import { fieldErrors } from './field-errors';
import type { JsonObject, KubeObject } from './object';
import { cloneJson, isPlainObject, jsonEqual } from './object';
import { validatePriorityClassUpdate } from './priority-class';
import { validateBindingUpdate } from './rbac';
import type { StatusCause } from './status';

export const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function spec(o: KubeObject): JsonObject {
  return isPlainObject(o.spec) ? o.spec : {};
}

function containers(value: unknown): JsonObject[] {
  return Array.isArray(value) ? (value.filter(isPlainObject) as JsonObject[]) : [];
}

/** The old spec with every field a pod update may change taken from the new one; equal means allowed. */
function podSpecIgnoringMutable(prev: JsonObject, next: JsonObject): JsonObject {
  const out = cloneJson(prev);
  for (const list of ['containers', 'initContainers']) {
    const a = containers(out[list]);
    const b = containers(next[list]);
    if (a.length === b.length) a.forEach((c, i) => (c.image = b[i].image));
  }
  out.activeDeadlineSeconds = next.activeDeadlineSeconds;
  const oldTolerations = Array.isArray(prev.tolerations) ? prev.tolerations : [];
  const newTolerations = Array.isArray(next.tolerations) ? next.tolerations : [];
  if (oldTolerations.every((t) => newTolerations.some((u) => jsonEqual(t, u))))
    out.tolerations = next.tolerations;
  const oldGrace = prev.terminationGracePeriodSeconds;
  if (typeof oldGrace === 'number' && oldGrace < 0 && next.terminationGracePeriodSeconds === 1) {
    out.terminationGracePeriodSeconds = 1;
  }
  return out;
}

function validatePodUpdate(next: KubeObject, prev: KubeObject): StatusCause[] {
  if (jsonEqual(podSpecIgnoringMutable(spec(prev), spec(next)), spec(next))) return [];
  return [fieldErrors.forbidden('spec', POD_UPDATE_FORBIDDEN)];
}

function validateSelectorUpdate(next: KubeObject, prev: KubeObject): StatusCause[] {
  const before = spec(prev).selector;
  const after = spec(next).selector;
  return jsonEqual(before, after)
    ? []
    : [fieldErrors.invalid('spec.selector', after ?? null, 'field is immutable')];
}

function validateServiceUpdate(next: KubeObject, prev: KubeObject): StatusCause[] {
  const before = spec(prev).clusterIP;
  const after = spec(next).clusterIP;
  if (spec(next).type === 'ExternalName') return [];
  if (typeof before === 'string' && before !== '' && after !== before) {
    return [
      fieldErrors.invalid(
        'spec.clusterIPs[0]',
        spec(next).clusterIPs ?? [after ?? ''],
        'may not change once set',
      ),
    ];
  }
  return [];
}

function validateImmutableData(
  next: KubeObject,
  prev: KubeObject,
  fields: string[],
): StatusCause[] {
  if (prev.immutable !== true) return [];
  const out: StatusCause[] = [];
  if (next.immutable !== true)
    out.push(fieldErrors.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) {
    if (!jsonEqual(prev[f] ?? {}, next[f] ?? {}))
      out.push(fieldErrors.forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return out;
}

export const POD_CIDR_FORBIDDEN = 'node updates may not change podCIDR except from "" to valid';

/** spec.podCIDRs (or podCIDR alone), once set, as the node IPAM controller allocated it. */
function podCidrs(o: KubeObject): string[] {
  const s = spec(o);
  if (Array.isArray(s.podCIDRs) && s.podCIDRs.length > 0) return s.podCIDRs.map(String);
  return typeof s.podCIDR === 'string' && s.podCIDR !== '' ? [s.podCIDR] : [];
}

/** A node's pod ranges are set once: two allocators can never give one node two ranges. */
function validateNodeUpdate(next: KubeObject, prev: KubeObject): StatusCause[] {
  const before = podCidrs(prev);
  if (before.length === 0 || jsonEqual(before, podCidrs(next))) return [];
  return [fieldErrors.forbidden('spec.podCIDRs', POD_CIDR_FORBIDDEN)];
}

export function validateKindUpdate(key: string, next: KubeObject, prev: KubeObject): StatusCause[] {
  switch (key) {
    case '/Pod':
      return validatePodUpdate(next, prev);
    case 'apps/Deployment':
    case 'apps/ReplicaSet':
      return validateSelectorUpdate(next, prev);
    case '/Service':
      return validateServiceUpdate(next, prev);
    case '/ConfigMap':
      return validateImmutableData(next, prev, ['data', 'binaryData']);
    case '/Secret':
      return validateImmutableData(next, prev, ['data']);
    case 'scheduling.k8s.io/PriorityClass':
      return validatePriorityClassUpdate(next, prev);
    case '/Node':
      return validateNodeUpdate(next, prev);
    case 'rbac.authorization.k8s.io/RoleBinding':
    case 'rbac.authorization.k8s.io/ClusterRoleBinding':
      return validateBindingUpdate(next, prev);
    default:
      return [];
  }
}
