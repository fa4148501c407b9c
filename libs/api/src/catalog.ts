// The resources Flotilla serves, named exactly as a real Kubernetes 1.32 API server names them in discovery.

export type Subresource = 'status' | 'scale' | 'binding' | 'finalize' | 'token';

export interface ResourceInfo {
  /** '' for the core (legacy) group. */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  verbs: string[];
  categories: string[];
  subresources: Subresource[];
  /** Scale subresource paths, for deployments/replicasets. */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
}

const ALL_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];
const NO_COLLECTION_DELETE = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** Replica paths of the apps/v1 workloads; the selector is a metav1.LabelSelector object. */
const REPLICA_SCALE = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  labelSelectorPath: '.spec.selector',
};

function resource(
  group: string,
  kind: string,
  plural: string,
  opts: Partial<Omit<ResourceInfo, 'group' | 'kind' | 'plural'>> = {},
): ResourceInfo {
  return {
    group,
    version: opts.version ?? 'v1',
    kind,
    listKind: `${kind}List`,
    plural,
    singular: opts.singular ?? kind.toLowerCase(),
    shortNames: opts.shortNames ?? [],
    namespaced: opts.namespaced ?? true,
    verbs: opts.verbs ?? ALL_VERBS,
    categories: opts.categories ?? [],
    subresources: opts.subresources ?? [],
    ...(opts.scale ? { scale: opts.scale } : {}),
  };
}

export const RESOURCES: readonly ResourceInfo[] = Object.freeze([
  resource('', 'ConfigMap', 'configmaps', { shortNames: ['cm'] }),
  resource('', 'Endpoints', 'endpoints', { shortNames: ['ep'], singular: 'endpoints' }),
  resource('', 'Event', 'events', { shortNames: ['ev'] }),
  resource('', 'Namespace', 'namespaces', {
    shortNames: ['ns'],
    namespaced: false,
    verbs: NO_COLLECTION_DELETE,
    subresources: ['status', 'finalize'],
  }),
  resource('', 'Node', 'nodes', {
    shortNames: ['no'],
    namespaced: false,
    subresources: ['status'],
  }),
  resource('', 'Pod', 'pods', {
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['status', 'binding'],
  }),
  resource('', 'Secret', 'secrets'),
  resource('', 'ServiceAccount', 'serviceaccounts', {
    shortNames: ['sa'],
    subresources: ['token'],
  }),
  resource('', 'Service', 'services', {
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status'],
  }),
  resource('apps', 'Deployment', 'deployments', {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    scale: REPLICA_SCALE,
  }),
  resource('apps', 'ReplicaSet', 'replicasets', {
    shortNames: ['rs'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    scale: REPLICA_SCALE,
  }),
  resource('discovery.k8s.io', 'EndpointSlice', 'endpointslices'),
  resource('coordination.k8s.io', 'Lease', 'leases'),
  resource('events.k8s.io', 'Event', 'events', { shortNames: ['ev'] }),
  resource('scheduling.k8s.io', 'PriorityClass', 'priorityclasses', {
    shortNames: ['pc'],
    namespaced: false,
  }),
  resource('rbac.authorization.k8s.io', 'ClusterRoleBinding', 'clusterrolebindings', {
    namespaced: false,
  }),
  resource('rbac.authorization.k8s.io', 'ClusterRole', 'clusterroles', { namespaced: false }),
  resource('rbac.authorization.k8s.io', 'RoleBinding', 'rolebindings'),
  resource('rbac.authorization.k8s.io', 'Role', 'roles'),
  // Answered from the request and never stored: create is their only verb.
  resource('authentication.k8s.io', 'SelfSubjectReview', 'selfsubjectreviews', {
    namespaced: false,
    verbs: ['create'],
  }),
  resource('authentication.k8s.io', 'TokenReview', 'tokenreviews', {
    namespaced: false,
    verbs: ['create'],
  }),
  resource('authorization.k8s.io', 'LocalSubjectAccessReview', 'localsubjectaccessreviews', {
    verbs: ['create'],
  }),
  resource('authorization.k8s.io', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', {
    namespaced: false,
    verbs: ['create'],
  }),
  resource('authorization.k8s.io', 'SubjectAccessReview', 'subjectaccessreviews', {
    namespaced: false,
    verbs: ['create'],
  }),
]);

export function apiVersionOf(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** Splits 'apps/v1' into { group: 'apps', version: 'v1' } and 'v1' into { group: '', version: 'v1' }. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function findResource(
  group: string,
  version: string,
  plural: string,
): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

export function findByKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  const { group, version } = parseApiVersion(apiVersion);
  return RESOURCES.find((r) => r.group === group && r.version === version && r.kind === kind);
}

/** Resolves what a user types (plural, singular, short name or kind, optionally "name.group"), as kubectl does. */
export function resolveResourceName(text: string): ResourceInfo | undefined {
  const lower = text.toLowerCase();
  const dot = lower.indexOf('.');
  const name = dot < 0 ? lower : lower.slice(0, dot);
  const group = dot < 0 ? undefined : lower.slice(dot + 1);
  return RESOURCES.find(
    (r) =>
      (group === undefined || r.group === group) &&
      (r.plural === name ||
        r.singular === name ||
        r.kind.toLowerCase() === name ||
        r.shortNames.includes(name)),
  );
}

/** Every served group/version, the core group first, then the named groups in catalog order. */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Set<string>();
  const out: { group: string; version: string }[] = [];
  for (const r of RESOURCES) {
    const key = apiVersionOf(r);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ group: r.group, version: r.version });
  }
  return out.sort((a, b) => (a.group === '' ? -1 : 0) - (b.group === '' ? -1 : 0));
}

export function resourcesIn(group: string, version: string): ResourceInfo[] {
  return RESOURCES.filter((r) => r.group === group && r.version === version);
}

/** 'pods' or 'deployments.apps', the way Kubernetes names a resource in messages. */
export function qualifiedResource(r: { group: string; plural: string }): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

/** 'Pod' or 'Deployment.apps', the way Kubernetes names a kind in "is invalid" messages. */
export function qualifiedKind(r: { group: string; kind: string }): string {
  return r.group ? `${r.kind}.${r.group}` : r.kind;
}
