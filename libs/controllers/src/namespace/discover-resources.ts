// Which resources a namespace can hold: every namespaced resource the API server serves at its
// group's preferred version and can list and delete, as its discovery documents say (so a
// resource added to the server later is emptied too). Subresources are not resources.
import type { ResourceInfo } from '@flotilla/api';
import type { KubeClient } from '@flotilla/client';

interface ApiResource {
  name: string;
  singularName?: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
}
interface ResourceList {
  groupVersion: string;
  resources: ApiResource[];
}
interface GroupList {
  groups: { name: string; preferredVersion?: { groupVersion: string; version: string } }[];
}

export interface Discovered {
  resources: ResourceInfo[];
  /** Group versions whose discovery failed ("apps/v1: ..."), if any. */
  failures: string[];
}

function toInfo(group: string, version: string, r: ApiResource): ResourceInfo {
  return {
    group,
    version,
    kind: r.kind,
    listKind: `${r.kind}List`,
    plural: r.name,
    singular: r.singularName ?? r.kind.toLowerCase(),
    shortNames: r.shortNames ?? [],
    namespaced: r.namespaced,
    verbs: r.verbs,
    categories: r.categories ?? [],
    subresources: [],
  };
}

const deletable = (r: ApiResource) =>
  r.namespaced && !r.name.includes('/') && r.verbs.includes('list') && r.verbs.includes('delete');

export async function discoverNamespacedResources(client: KubeClient): Promise<Discovered> {
  const targets: { group: string; version: string; path: string }[] = [
    { group: '', version: 'v1', path: '/api/v1' },
  ];
  const failures: string[] = [];
  try {
    const groups = await client.getJson<GroupList>('/apis');
    for (const g of groups.groups) {
      const version = g.preferredVersion?.version;
      if (!version) continue;
      targets.push({ group: g.name, version, path: `/apis/${g.name}/${version}` });
    }
  } catch (err) {
    failures.push(`/apis: ${String(err)}`);
  }
  const resources: ResourceInfo[] = [];
  for (const t of targets) {
    try {
      const list = await client.getJson<ResourceList>(t.path);
      for (const r of list.resources) {
        if (deletable(r)) resources.push(toInfo(t.group, t.version, r));
      }
    } catch (err) {
      failures.push(`${t.group ? `${t.group}/` : ''}${t.version}: ${String(err)}`);
    }
  }
  return { resources, failures };
}
