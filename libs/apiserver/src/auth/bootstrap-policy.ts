// The ClusterRoles and ClusterRoleBindings every Kubernetes cluster starts with (the ones this
// control plane's components and users need), created at bootstrap when missing. Names, labels
// and aggregation follow Kubernetes' bootstrap policy, so `kubectl create rolebinding
// --clusterrole=view` means what users expect.
import { KubeObject, PolicyRule, RBAC_GROUP, ResourceInfo } from '@flotilla/api';
import { objectKey } from '../storage/key-layout';
import type { ObjectStore } from '../storage/object-store';
import { NODE_RULES } from './node-rules';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const AUTOUPDATE = { 'rbac.authorization.k8s.io/autoupdate': 'true' };
const BOOTSTRAPPING = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };

const rule = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({
  verbs,
  apiGroups,
  resources,
});
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({
  verbs,
  nonResourceURLs,
});

interface RoleSpec {
  name: string;
  rules: PolicyRule[];
  labels?: Record<string, string>;
  /** Labels of the ClusterRoles whose rules this one gathers. */
  aggregateFrom?: string;
}

/** What namespaced users may touch, in the user-facing roles (view ⊂ edit ⊂ admin). */
const WORKLOADS = ['pods', 'services', 'endpoints', 'configmaps', 'serviceaccounts', 'events'];
const APPS = ['deployments', 'deployments/scale', 'replicasets', 'replicasets/scale'];

const ROLES: RoleSpec[] = [
  { name: 'cluster-admin', rules: [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])] },
  {
    name: 'system:discovery',
    rules: [
      urls(
        ['get'],
        [
          '/api',
          '/api/*',
          '/apis',
          '/apis/*',
          '/healthz',
          '/livez',
          '/readyz',
          '/openapi',
          '/openapi/*',
          '/version',
          '/version/',
        ],
      ),
    ],
  },
  {
    name: 'system:public-info-viewer',
    rules: [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])],
  },
  {
    name: 'system:basic-user',
    rules: [
      rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews']),
      rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
    ],
  },
  {
    name: 'system:monitoring',
    rules: [urls(['get'], ['/metrics', '/livez', '/readyz', '/healthz', '/livez/*', '/readyz/*'])],
  },
  { name: 'admin', aggregateFrom: 'rbac.authorization.k8s.io/aggregate-to-admin', rules: [] },
  { name: 'edit', aggregateFrom: 'rbac.authorization.k8s.io/aggregate-to-edit', rules: [] },
  { name: 'view', aggregateFrom: 'rbac.authorization.k8s.io/aggregate-to-view', rules: [] },
  {
    name: 'system:aggregate-to-admin',
    labels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' },
    rules: [
      rule([...READ, ...WRITE], [RBAC_GROUP], ['roles', 'rolebindings']),
      rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
    ],
  },
  {
    name: 'system:aggregate-to-edit',
    labels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' },
    rules: [
      rule([...READ, ...WRITE], [''], [...WORKLOADS, 'secrets', 'pods/status']),
      rule([...READ, ...WRITE], ['apps'], APPS),
      rule([...READ, ...WRITE], ['discovery.k8s.io'], ['endpointslices']),
      rule([...READ, ...WRITE], ['coordination.k8s.io'], ['leases']),
      rule(['create'], [''], ['serviceaccounts/token']),
      // kubectl exec, attach and port-forward (upgrades: create for SPDY, get for WebSocket).
      rule([...READ, ...WRITE], [''], ['pods/exec', 'pods/attach', 'pods/portforward']),
    ],
  },
  {
    name: 'system:aggregate-to-view',
    labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' },
    rules: [
      rule(READ, [''], [...WORKLOADS, 'pods/status', 'pods/log', 'services/status', 'namespaces']),
      rule(READ, ['apps'], [...APPS, 'deployments/status', 'replicasets/status']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      rule(READ, ['events.k8s.io'], ['events']),
    ],
  },
  {
    // Kubernetes runs each controller as its own service account; here the controllers run in
    // the master under one identity, and between them (namespace deletion, garbage collection)
    // they delete objects of every kind, so the identity needs every kind.
    name: 'system:kube-controller-manager',
    rules: [rule(['*'], ['*'], ['*'])],
  },
  {
    name: 'system:kube-scheduler',
    rules: [
      rule(READ, ['*'], ['*']),
      rule(['create'], [''], ['pods/binding', 'bindings']),
      rule(['delete'], [''], ['pods']),
      rule(['patch', 'update'], [''], ['pods/status']),
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
      rule(['create', 'get', 'update', 'patch'], ['coordination.k8s.io'], ['leases']),
    ],
  },
  // What the Node authorizer grants every kubelet; kept as a role, bound to no one (as in
  // Kubernetes, where the system:node binding has no subjects since the Node authorizer).
  { name: 'system:node', rules: [...NODE_RULES] },
  // Scrapers of the kubelets' /metrics (nodes/metrics, authorized by each kubelet through a
  // SubjectAccessReview); bound to system:monitoring below beside Kubernetes' own role of that name.
  {
    name: 'system:flotilla:node-metrics-reader',
    rules: [rule(['get'], [''], ['nodes/metrics'])],
  },
  // Full use of the kubelets' API (nodes/proxy and the subresources the kubelets authorize), for
  // whoever is bound to it; Kubernetes binds no one by default (kubeadm binds its API server's
  // kubelet client, which here is in system:masters already).
  {
    name: 'system:kubelet-api-admin',
    rules: [
      rule(READ, [''], ['nodes']),
      rule(['proxy'], [''], ['nodes']),
      rule(['*'], [''], ['nodes/proxy', 'nodes/metrics', 'nodes/stats', 'nodes/log']),
    ],
  },
  {
    name: 'system:node-proxier',
    rules: [
      rule(READ, [''], ['services', 'endpoints', 'nodes']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    ],
  },
];

interface BindingSpec {
  name: string;
  role: string;
  subjects: { kind: 'User' | 'Group'; name: string }[];
}

const group = (name: string) => ({ kind: 'Group' as const, name });
const user = (name: string) => ({ kind: 'User' as const, name });

const BINDINGS: BindingSpec[] = [
  { name: 'cluster-admin', role: 'cluster-admin', subjects: [group('system:masters')] },
  {
    name: 'system:discovery',
    role: 'system:discovery',
    subjects: [group('system:authenticated')],
  },
  {
    name: 'system:public-info-viewer',
    role: 'system:public-info-viewer',
    subjects: [group('system:authenticated'), group('system:unauthenticated')],
  },
  {
    name: 'system:basic-user',
    role: 'system:basic-user',
    subjects: [group('system:authenticated')],
  },
  {
    name: 'system:monitoring',
    role: 'system:monitoring',
    subjects: [group('system:monitoring')],
  },
  {
    name: 'system:kube-controller-manager',
    role: 'system:kube-controller-manager',
    subjects: [user('system:kube-controller-manager')],
  },
  {
    name: 'system:kube-scheduler',
    role: 'system:kube-scheduler',
    subjects: [user('system:kube-scheduler')],
  },
  {
    name: 'system:flotilla:node-metrics-reader',
    role: 'system:flotilla:node-metrics-reader',
    subjects: [group('system:monitoring')],
  },
  { name: 'system:node', role: 'system:node', subjects: [] },
  {
    name: 'system:node-proxier',
    role: 'system:node-proxier',
    subjects: [user('system:kube-proxy')],
  },
];

type Stored = Pick<ResourceInfo, 'group' | 'plural' | 'namespaced'>;
const CLUSTER_ROLES: Stored = { group: RBAC_GROUP, plural: 'clusterroles', namespaced: false };
const CLUSTER_ROLE_BINDINGS: Stored = {
  group: RBAC_GROUP,
  plural: 'clusterrolebindings',
  namespaced: false,
};

/** The default ClusterRoles, as stored (without uid and creationTimestamp). */
export function defaultClusterRoles(): KubeObject[] {
  return ROLES.map((r) => ({
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRole',
    metadata: {
      name: r.name,
      labels: { ...BOOTSTRAPPING, ...(r.labels ?? {}) },
      annotations: { ...AUTOUPDATE },
    },
    ...(r.aggregateFrom
      ? {
          aggregationRule: {
            clusterRoleSelectors: [{ matchLabels: { [r.aggregateFrom]: 'true' } }],
          },
        }
      : {}),
    rules: r.rules.map((x) => ({ ...x })),
  }));
}

export function defaultClusterRoleBindings(): KubeObject[] {
  return BINDINGS.map((b) => ({
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name: b.name, labels: { ...BOOTSTRAPPING }, annotations: { ...AUTOUPDATE } },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: b.role },
    subjects: b.subjects.map((s) => ({ ...s, apiGroup: RBAC_GROUP })),
  }));
}

/** Creates whichever default role or binding is missing; returns the names it created. */
export async function ensureBootstrapPolicy(
  store: ObjectStore,
  now: () => Date,
  newUid: () => string,
): Promise<string[]> {
  const created: string[] = [];
  const timestamp = now()
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');
  const write = async (r: Stored, obj: KubeObject) => {
    const key = objectKey(r, undefined, obj.metadata.name!);
    if (await store.get(key, { serializable: true })) return;
    obj.metadata = { ...obj.metadata, uid: newUid(), creationTimestamp: timestamp };
    const res = await store.create(key, obj);
    if (res.ok) created.push(`${obj.kind}/${obj.metadata.name}`);
  };
  for (const role of defaultClusterRoles()) await write(CLUSTER_ROLES, role);
  for (const binding of defaultClusterRoleBindings()) await write(CLUSTER_ROLE_BINDINGS, binding);
  return created;
}
