import { apiVersionOf, groupVersions, ResourceInfo, RESOURCES, resourcesIn } from '@flotilla/api';

export const KUBE_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-flotilla' };

export function versionInfo(): Record<string, unknown> {
  return {
    major: KUBE_VERSION.major,
    minor: KUBE_VERSION.minor,
    gitVersion: KUBE_VERSION.gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
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

function subresourceEntries(r: ResourceInfo): Record<string, unknown>[] {
  return r.subresources.map((sub) => {
    const base = { name: `${r.plural}/${sub}`, singularName: '', namespaced: r.namespaced };
    switch (sub) {
      case 'status':
        return { ...base, kind: r.kind, verbs: ['get', 'patch', 'update'] };
      case 'scale':
        return {
          ...base,
          group: 'autoscaling',
          version: 'v1',
          kind: 'Scale',
          verbs: ['get', 'patch', 'update'],
        };
      case 'binding':
        return { ...base, kind: 'Binding', verbs: ['create'] };
    }
  });
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
