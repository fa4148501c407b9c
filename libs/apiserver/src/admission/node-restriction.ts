// Kubernetes' NodeRestriction admission: what the node rules let any kubelet do, narrowed to its
// own objects. A node writes only its own Node (never its ownerReferences, its taints, or labels
// under node-restriction.kubernetes.io/ and the other reserved prefixes), only its own Lease,
// the status of pods bound to it, evictions and deletions of those pods, and mirror pods of its
// own that reference nothing else; it asks tokens only bound to its own pods.
import { apiErrors, ApiError, isPlainObject, jsonEqual, KubeObject } from '@flotilla/api';
import { podReferences } from '../auth/node-graph';
import { nodeNameOf, UserInfo } from '../auth/user-info';

type ResourceRef = { group: string; plural: string };

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE';

/** One write as admission sees it (Kubernetes' admission.Attributes). */
export interface AdmissionAttributes {
  user: UserInfo;
  operation: AdmissionOperation;
  resource: ResourceRef;
  subresource?: string;
  namespace?: string;
  name: string;
  /** The object to be stored (create, update). */
  object?: KubeObject;
  /** The stored object (update, delete). */
  oldObject?: KubeObject;
}

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const RESTRICTED_LABEL_PREFIX = 'node-restriction.kubernetes.io/';
/** Labels under kubernetes.io/ and k8s.io/ a kubelet may set on its Node (Kubernetes' list). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/arch',
  'kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

/** Throws Kubernetes' 403 when a node oversteps; other users pass untouched. */
export function admitNodeRestriction(a: AdmissionAttributes): void {
  const node = nodeNameOf(a.user);
  if (!node) return;
  const { group, plural } = a.resource;
  if (group === '' && plural === 'nodes') return admitNode(node, a);
  if (group === '' && plural === 'pods') return admitPod(node, a);
  if (group === 'coordination.k8s.io' && plural === 'leases') return admitLease(node, a);
  if (group === '' && plural === 'serviceaccounts' && a.subresource === 'token') {
    return admitTokenRequest(node, a);
  }
}

function deny(a: AdmissionAttributes, message: string): ApiError {
  return apiErrors.forbidden(a.resource, a.name, message);
}

function admitNode(node: string, a: AdmissionAttributes): void {
  if (a.name !== node) throw deny(a, `node "${node}" is not allowed to modify node "${a.name}"`);
  if (a.operation === 'CREATE' && a.object) {
    const forbidden = forbiddenLabels(changedLabels(labelsOf(a.object), {}));
    if (forbidden.length > 0) {
      throw deny(
        a,
        `node "${node}" is not allowed to set the following labels: ${forbidden.join(', ')}`,
      );
    }
  }
  if (a.operation === 'UPDATE' && a.object && a.oldObject) {
    const owners = (o: KubeObject) => o.metadata.ownerReferences ?? [];
    if (!jsonEqual(owners(a.object), owners(a.oldObject))) {
      throw deny(a, `node "${node}" is not allowed to modify ownerReferences`);
    }
    const forbidden = forbiddenLabels(changedLabels(labelsOf(a.object), labelsOf(a.oldObject)));
    if (forbidden.length > 0) {
      throw deny(a, `is not allowed to modify labels: ${forbidden.join(', ')}`);
    }
    if (!jsonEqual(taintsOf(a.object), taintsOf(a.oldObject))) {
      throw deny(a, 'is not allowed to modify taints');
    }
  }
}

function admitPod(node: string, a: AdmissionAttributes): void {
  if (a.subresource === 'status') {
    if (nodeNameOfPod(a.oldObject) !== node) {
      throw deny(
        a,
        `node "${node}" can only update pod status for pods with spec.nodeName set to itself`,
      );
    }
    return;
  }
  if (a.subresource === 'eviction') {
    if (nodeNameOfPod(a.oldObject) !== node) {
      throw deny(a, `node "${node}" can only evict pods with spec.nodeName set to itself`);
    }
    return;
  }
  if (a.subresource) return;
  switch (a.operation) {
    case 'CREATE':
      return admitMirrorPod(node, a);
    case 'DELETE':
      if (nodeNameOfPod(a.oldObject) !== node) {
        throw deny(a, `node "${node}" can only delete pods with spec.nodeName set to itself`);
      }
      return;
    default:
      throw deny(
        a,
        `unexpected operation "${a.operation}", node "${node}" can only create and delete mirror pods`,
      );
  }
}

function admitMirrorPod(node: string, a: AdmissionAttributes): void {
  const pod = a.object!;
  if (!(MIRROR_POD_ANNOTATION in (pod.metadata.annotations ?? {}))) {
    throw deny(
      a,
      `pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node "${node}" can only create mirror pods`,
    );
  }
  if (nodeNameOfPod(pod) !== node) {
    throw deny(a, `node "${node}" can only create pods with spec.nodeName set to itself`);
  }
  const owners = pod.metadata.ownerReferences ?? [];
  if (owners.length > 1) {
    throw deny(
      a,
      `node "${node}" can only create pods with a single owner reference set to itself`,
    );
  }
  const owner = owners[0];
  if (owner && !(owner.apiVersion === 'v1' && owner.kind === 'Node' && owner.name === node)) {
    throw deny(a, `node "${node}" can only create pods with an owner reference set to itself`);
  }
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== '') {
    throw deny(a, `node "${node}" can not create pods that reference a service account`);
  }
  const refs = podReferences({ ...pod, spec: { ...spec, serviceAccountName: '-' } });
  for (const [prefix, what] of [
    ['secrets/', 'secrets'],
    ['configmaps/', 'configmaps'],
    ['persistentvolumeclaims/', 'persistentvolumeclaims'],
  ] as const) {
    if (refs.some((r) => r.startsWith(prefix))) {
      throw deny(a, `node "${node}" can not create pods that reference ${what}`);
    }
  }
}

function admitLease(node: string, a: AdmissionAttributes): void {
  if (a.operation === 'CREATE' && a.name !== node) {
    throw deny(a, 'can only access node lease with the same name as the requesting node');
  }
}

/** A node's token requests must be bound to a pod, and to one on this node. */
function admitTokenRequest(node: string, a: AdmissionAttributes): void {
  const bound = a.object;
  if (!bound) throw deny(a, `node requested token not bound to a pod`);
  if (nodeNameOfPod(bound) !== node) {
    throw deny(a, `node requested token bound to a pod scheduled on a different node`);
  }
}

function nodeNameOfPod(pod: KubeObject | undefined): string | undefined {
  const spec = pod && isPlainObject(pod.spec) ? pod.spec : undefined;
  return typeof spec?.nodeName === 'string' ? spec.nodeName : undefined;
}

function labelsOf(o: KubeObject): Record<string, string> {
  return o.metadata.labels ?? {};
}

function taintsOf(o: KubeObject): unknown {
  return (isPlainObject(o.spec) ? o.spec.taints : undefined) ?? [];
}

/** Keys added, removed or given another value. */
function changedLabels(next: Record<string, string>, old: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(next), ...Object.keys(old)]);
  return [...keys].filter((k) => next[k] !== old[k]);
}

/** Labels a kubelet may not set: the node-restriction prefix, and kubernetes.io/ ones not its own. */
function forbiddenLabels(keys: string[]): string[] {
  return keys
    .filter((key) => {
      const slash = key.indexOf('/');
      if (slash < 0) return false;
      const namespace = key.slice(0, slash);
      if (key.startsWith(RESTRICTED_LABEL_PREFIX)) return true;
      if (KUBELET_LABELS.has(key)) return false;
      if (KUBELET_LABEL_NAMESPACES.some((n) => namespace === n || namespace.endsWith(`.${n}`)))
        return false;
      return (
        namespace === 'kubernetes.io' ||
        namespace.endsWith('.kubernetes.io') ||
        namespace === 'k8s.io' ||
        namespace.endsWith('.k8s.io')
      );
    })
    .sort();
}
