import type { ResourceInfo } from '@flotilla/api';

/**
 * Where each resource lives in the store, after Kubernetes' own etcd layout: nodes under
 * "minions", services and endpoints under "services/specs" and "services/endpoints".
 * events.k8s.io Events are core Events stored once under "events" (see stored-forms.ts).
 */
const CORE_OVERRIDES: Record<string, string> = {
  nodes: 'minions',
  services: 'services/specs',
  endpoints: 'services/endpoints',
};

export const REGISTRY_ROOT = '/registry/';

export function resourcePrefix(
  r: Pick<ResourceInfo, 'group' | 'plural'> & Partial<Pick<ResourceInfo, 'custom'>>,
): string {
  // Custom resources live under their group, as in Kubernetes: a CRD's plural may equal a built-in's.
  if (r.custom) return `${REGISTRY_ROOT}${r.group}/${r.plural}/`;
  if (r.group === '') return `${REGISTRY_ROOT}${CORE_OVERRIDES[r.plural] ?? r.plural}/`;
  if (r.group === 'events.k8s.io' && r.plural === 'events') return `${REGISTRY_ROOT}events/`;
  return `${REGISTRY_ROOT}${r.plural}/`;
}

/** The prefix to list: one namespace, or all of them (and cluster-scoped resources). */
export function listPrefix(
  r: Pick<ResourceInfo, 'group' | 'plural'> & Partial<Pick<ResourceInfo, 'custom'>>,
  namespace?: string,
): string {
  const base = resourcePrefix(r);
  return namespace ? `${base}${namespace}/` : base;
}

export function objectKey(
  r: Pick<ResourceInfo, 'group' | 'plural' | 'namespaced'> & Partial<Pick<ResourceInfo, 'custom'>>,
  namespace: string | undefined,
  name: string,
): string {
  const base = resourcePrefix(r);
  return r.namespaced ? `${base}${namespace ?? ''}/${name}` : `${base}${name}`;
}

/** Allocation keys for Service addresses, created and deleted in the Service's own transaction. */
export const SERVICE_IP_PREFIX = `${REGISTRY_ROOT}ranges/serviceips/`;
export const NODE_PORT_PREFIX = `${REGISTRY_ROOT}ranges/servicenodeports/`;

export function serviceIpKey(ip: string): string {
  return `${SERVICE_IP_PREFIX}${ip}`;
}

export function nodePortKey(port: number): string {
  return `${NODE_PORT_PREFIX}${port}`;
}
