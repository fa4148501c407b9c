import { apiErrors, KubeObject, ResourceInfo } from '@flotilla/api';

export const BOOTSTRAP_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
/** Namespaces Kubernetes refuses to delete. */
export const UNDELETABLE_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

export function isTerminating(ns: KubeObject): boolean {
  const status = ns.status as { phase?: string } | undefined;
  return status?.phase === 'Terminating' || ns.metadata.deletionTimestamp !== undefined;
}

/**
 * Namespace lifecycle admission for a create: the namespace must exist (404 naming the
 * namespace) and must not be terminating (403).
 */
export function admitIntoNamespace(
  r: ResourceInfo,
  name: string,
  namespace: string,
  ns: KubeObject | undefined,
): void {
  if (!ns) throw apiErrors.notFound({ group: '', plural: 'namespaces' }, namespace);
  if (isTerminating(ns)) {
    throw apiErrors.forbidden(
      r,
      name,
      `unable to create new content in namespace ${namespace} because it is being terminated`,
    );
  }
}

export function namespaceObject(name: string, now: Date, uid: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      uid,
      creationTimestamp: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      labels: { 'kubernetes.io/metadata.name': name },
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}
