// The registry of kind modules: every kind the server serves, looked up by the generic machinery.
// Built-in kinds are listed here; a CustomResourceDefinition adds and removes kinds at run time.
// The list is built on first use, so kind modules may import the machinery that reads it.
import type { ResourceInfo } from '../catalog';
import type { Definition, KindModule } from './kind-module';
import { META_DEFINITIONS } from './meta';
import { POD_SPEC_DEFINITIONS } from './core/pod-spec';
import { configMapKind } from './core/configmap';
import { endpointsKind } from './core/endpoints';
import { coreEventKind } from './core/event';
import { namespaceKind } from './core/namespace';
import { nodeKind } from './core/node';
import { podKind } from './core/pod';
import { secretKind } from './core/secret';
import { serviceAccountKind } from './core/serviceaccount';
import { serviceKind } from './core/service';
import { deploymentKind } from './apps/deployment';
import { replicaSetKind } from './apps/replicaset';
import { daemonSetKind } from './apps/daemonset';
import { controllerRevisionKind } from './apps/controllerrevision';
import { statefulSetKind } from './apps/statefulset';
import { persistentVolumeClaimKind } from './core/persistentvolumeclaim';
import { persistentVolumeKind } from './core/persistentvolume';
import { resourceQuotaKind } from './core/resourcequota';
import { limitRangeKind } from './core/limitrange';
import { endpointSliceKind } from './discovery/endpointslice';
import { leaseKind } from './coordination/lease';
import { eventsEventKind } from './events/event';
import { priorityClassKind } from './scheduling/priorityclass';
import { jobKind } from './batch/job';
import { cronJobKind } from './batch/cronjob';
import { podDisruptionBudgetKind } from './policy/poddisruptionbudget';
import { customResourceDefinitionKind } from './apiextensions/customresourcedefinition';
import { clusterRoleBindingKind } from './rbac/clusterrolebinding';
import { clusterRoleKind } from './rbac/clusterrole';
import { roleBindingKind } from './rbac/rolebinding';
import { roleKind } from './rbac/role';
import { selfSubjectReviewKind } from './authentication/selfsubjectreview';
import { tokenReviewKind } from './authentication/tokenreview';
import { localSubjectAccessReviewKind } from './authorization/localsubjectaccessreview';
import { selfSubjectAccessReviewKind } from './authorization/selfsubjectaccessreview';
import { subjectAccessReviewKind } from './authorization/subjectaccessreview';

/** Built-in kinds in discovery order (core first, then the named groups). */
function builtinKinds(): KindModule[] {
  return [
    configMapKind,
    endpointsKind,
    coreEventKind,
    namespaceKind,
    nodeKind,
    persistentVolumeClaimKind,
    persistentVolumeKind,
    podKind,
    resourceQuotaKind,
    limitRangeKind,
    secretKind,
    serviceAccountKind,
    serviceKind,
    deploymentKind,
    replicaSetKind,
    daemonSetKind,
    controllerRevisionKind,
    statefulSetKind,
    jobKind,
    cronJobKind,
    podDisruptionBudgetKind,
    endpointSliceKind,
    leaseKind,
    eventsEventKind,
    priorityClassKind,
    customResourceDefinitionKind,
    clusterRoleBindingKind,
    clusterRoleKind,
    roleBindingKind,
    roleKind,
    selfSubjectReviewKind,
    tokenReviewKind,
    localSubjectAccessReviewKind,
    selfSubjectAccessReviewKind,
    subjectAccessReviewKind,
  ];
}

/** Definitions not owned by one kind. */
function sharedDefinitions(): Record<string, Definition>[] {
  return [META_DEFINITIONS, POD_SPEC_DEFINITIONS];
}

interface State {
  modules: KindModule[];
  byResource: Map<ResourceInfo, KindModule>;
  byGvk: Map<string, KindModule>;
  definitions: Record<string, Definition>;
}

let state: State | undefined;
let generation = 0;
const listeners = new Set<() => void>();
/** The live list of served resources (catalog.RESOURCES reads it). */
export const LIVE_RESOURCES: ResourceInfo[] = [];

const gvkKey = (group: string, version: string, kind: string): string =>
  `${group}/${version}/${kind}`;

function build(modules: KindModule[]): State {
  const definitions: Record<string, Definition> = {};
  for (const shared of sharedDefinitions()) Object.assign(definitions, shared);
  const byResource = new Map<ResourceInfo, KindModule>();
  const byGvk = new Map<string, KindModule>();
  for (const m of modules) {
    Object.assign(definitions, m.definitions ?? {});
    byResource.set(m.resource, m);
    const { group, version, kind } = m.resource;
    byGvk.set(gvkKey(group, version, kind), m);
  }
  LIVE_RESOURCES.splice(0, LIVE_RESOURCES.length, ...modules.map((m) => m.resource));
  return { modules, byResource, byGvk, definitions };
}

function current(): State {
  state ??= build(builtinKinds());
  return state;
}

export function kindModules(): readonly KindModule[] {
  return current().modules;
}

/** The module of a resource (by identity first: the catalog's objects are long-lived). */
export function kindModuleOf(
  r: Pick<ResourceInfo, 'group' | 'version' | 'kind'>,
): KindModule | undefined {
  const s = current();
  return s.byResource.get(r as ResourceInfo) ?? s.byGvk.get(gvkKey(r.group, r.version, r.kind));
}

/** Every schema definition of every served kind, by its OpenAPI name. */
export function allDefinitions(): Readonly<Record<string, Definition>> {
  return current().definitions;
}

/** Serves a kind from now on (a CustomResourceDefinition once Established); replaces one of the same gvk. */
export function registerKind(m: KindModule): void {
  const { group, version, kind } = m.resource;
  const others = current().modules.filter(
    (k) =>
      gvkKey(k.resource.group, k.resource.version, k.resource.kind) !==
      gvkKey(group, version, kind),
  );
  changed([...others, m]);
}

/** Stops serving a kind added with registerKind. */
export function unregisterKind(group: string, version: string, kind: string): void {
  const key = gvkKey(group, version, kind);
  changed(
    current().modules.filter(
      (k) => gvkKey(k.resource.group, k.resource.version, k.resource.kind) !== key,
    ),
  );
}

function changed(modules: KindModule[]): void {
  state = build(modules);
  generation++;
  for (const listener of listeners) listener();
}

/** Moves on whenever the set of kinds changes: caches derived from the registry compare it. */
export function kindsGeneration(): number {
  return generation;
}

/** Called after every change to the set of kinds (caches derived from it drop themselves). */
export function onKindsChanged(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
