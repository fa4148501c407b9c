// The resources Flotilla serves, named exactly as a real Kubernetes 1.32 API server names them in
// discovery; each kind's ResourceInfo is declared in its module under kinds/.
import { kindModules, LIVE_RESOURCES } from './kinds/registry';

export type Subresource =
  | 'status'
  | 'scale'
  | 'binding'
  | 'finalize'
  | 'eviction'
  | 'token'
  /** Served by the pod's kubelet, through the API server. */
  | 'log'
  | 'exec'
  | 'attach'
  | 'portforward'
  /** nodes/proxy: any request passed to the node's kubelet. */
  | 'proxy';

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
  /**
   * Set on resources a CustomResourceDefinition serves: every version is stored once, under
   * /registry/<group>/<plural>/, in the CRD's storage version.
   */
  custom?: { storageVersion: string };
}

/** Every served resource, read from the registry of kind modules (it changes as CRDs come and go). */
export function servedResources(): readonly ResourceInfo[] {
  kindModules();
  return LIVE_RESOURCES;
}

/** The served resources as an array-like view kept for callers that iterate it. */
export const RESOURCES: readonly ResourceInfo[] = new Proxy([] as ResourceInfo[], {
  get(_target, key) {
    const live = servedResources();
    const value = Reflect.get(live, key) as unknown;
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(live) : value;
  },
  has: (_target, key) => Reflect.has(servedResources(), key),
  ownKeys: () => Reflect.ownKeys(servedResources()),
  getOwnPropertyDescriptor: (_target, key) =>
    Reflect.getOwnPropertyDescriptor(servedResources(), key),
});

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
  return servedResources().find(
    (r) => r.group === group && r.version === version && r.plural === plural,
  );
}

export function findByKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  const { group, version } = parseApiVersion(apiVersion);
  return servedResources().find(
    (r) => r.group === group && r.version === version && r.kind === kind,
  );
}

/** Resolves what a user types (plural, singular, short name or kind, optionally "name.group"), as kubectl does. */
export function resolveResourceName(text: string): ResourceInfo | undefined {
  const lower = text.toLowerCase();
  const dot = lower.indexOf('.');
  const name = dot < 0 ? lower : lower.slice(0, dot);
  const group = dot < 0 ? undefined : lower.slice(dot + 1);
  return servedResources().find(
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
  for (const r of servedResources()) {
    const key = apiVersionOf(r);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ group: r.group, version: r.version });
  }
  return out.sort((a, b) => (a.group === '' ? -1 : 0) - (b.group === '' ? -1 : 0));
}

export function resourcesIn(group: string, version: string): ResourceInfo[] {
  return servedResources().filter((r) => r.group === group && r.version === version);
}

/** 'pods' or 'deployments.apps', the way Kubernetes names a resource in messages. */
export function qualifiedResource(r: { group: string; plural: string }): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

/** 'Pod' or 'Deployment.apps', the way Kubernetes names a kind in "is invalid" messages. */
export function qualifiedKind(r: { group: string; kind: string }): string {
  return r.group ? `${r.kind}.${r.group}` : r.kind;
}
