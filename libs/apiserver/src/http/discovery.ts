import {
  apiVersionOf,
  groupVersions,
  ResourceInfo,
  RESOURCES,
  resourcesIn,
  Subresource,
} from '@flotilla/api';
import { buildInfo } from '@flotilla/observability';

export const KUBE_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-flotilla' };

export function versionInfo(): Record<string, unknown> {
  return {
    major: KUBE_VERSION.major,
    minor: KUBE_VERSION.minor,
    gitVersion: KUBE_VERSION.gitVersion,
    ...buildInfo(),
    goVersion: `node${process.versions.node}`,
    compiler: 'flotilla',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

/** /api: the legacy group's versions. */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function namedGroups(): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const gv of groupVersions()) {
    if (gv.group === '') continue;
    const versions = groups.get(gv.group) ?? [];
    if (!versions.includes(gv.version)) versions.push(gv.version);
    groups.set(gv.group, versions);
  }
  return groups;
}

function groupEntry(group: string, versions: string[]): Record<string, unknown> {
  const list = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions: list, preferredVersion: list[0] };
}

export function apiGroupList(): Record<string, unknown> {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...namedGroups()].map(([g, vs]) => groupEntry(g, vs)),
  };
}

export function apiGroup(group: string): Record<string, unknown> | undefined {
  const versions = namedGroups().get(group);
  return versions
    ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, versions) }
    : undefined;
}

function resourceEntry(r: ResourceInfo): Record<string, unknown> {
  return {
    name: r.plural,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: r.verbs,
    ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
    ...(r.categories.length > 0 ? { categories: r.categories } : {}),
    storageVersionHash: Buffer.from(`${apiVersionOf(r)}/${r.kind}`)
      .toString('base64')
      .slice(0, 11),
  };
}

/** What a subresource answers with (its response kind) and which verbs it serves. */
export interface SubresourceInfo {
  name: Subresource;
  group: string;
  version: string;
  kind: string;
  verbs: string[];
}

const READ_WRITE = ['get', 'patch', 'update'];
/** Streams upgrade on GET (WebSocket) or POST (SPDY). */
const STREAM_VERBS = ['create', 'get'];

/** Each subresource of a resource: status answers the object itself, scale an autoscaling/v1 Scale, binding a Binding. */
export function subresourcesOf(r: ResourceInfo): SubresourceInfo[] {
  return r.subresources.map((name) => {
    switch (name) {
      case 'status':
        return { name, group: r.group, version: r.version, kind: r.kind, verbs: READ_WRITE };
      case 'scale':
        return { name, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: READ_WRITE };
      case 'binding':
        return { name, group: '', version: 'v1', kind: 'Binding', verbs: ['create'] };
      case 'eviction':
        return { name, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] };
      case 'finalize':
        return { name, group: r.group, version: r.version, kind: r.kind, verbs: ['update'] };
      case 'log':
        return { name, group: '', version: 'v1', kind: 'Pod', verbs: ['get'] };
      case 'exec':
        return { name, group: '', version: 'v1', kind: 'PodExecOptions', verbs: STREAM_VERBS };
      case 'attach':
        return { name, group: '', version: 'v1', kind: 'PodAttachOptions', verbs: STREAM_VERBS };
      case 'portforward':
        return {
          name,
          group: '',
          version: 'v1',
          kind: 'PodPortForwardOptions',
          verbs: STREAM_VERBS,
        };
      case 'proxy':
        return {
          name,
          group: '',
          version: 'v1',
          kind: 'NodeProxyOptions',
          verbs: ['create', 'delete', 'get', 'patch', 'update'],
        };
      case 'token':
        return {
          name,
          group: 'authentication.k8s.io',
          version: 'v1',
          kind: 'TokenRequest',
          verbs: ['create'],
        };
    }
  });
}

function subresourceEntries(r: ResourceInfo): Record<string, unknown>[] {
  return subresourcesOf(r).map((sub) => ({
    name: `${r.plural}/${sub.name}`,
    singularName: '',
    namespaced: r.namespaced,
    // The legacy list names a subresource's group and version only where they differ from the list's.
    ...(sub.group !== r.group || sub.version !== r.version
      ? { group: sub.group, version: sub.version }
      : {}),
    kind: sub.kind,
    verbs: sub.verbs,
  }));
}

/** /api/v1 or /apis/<g>/<v>: the resources with their verbs, names and subresources. */
export function apiResourceList(
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const resources = resourcesIn(group, version);
  if (resources.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf({ group, version }),
    resources: resources.flatMap((r) => [resourceEntry(r), ...subresourceEntries(r)]),
  };
}

export function servedResources(): readonly ResourceInfo[] {
  return RESOURCES;
}
