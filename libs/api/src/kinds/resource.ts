// The ResourceInfo of a kind, with the defaults Kubernetes' discovery has for most resources.
import type { ResourceInfo } from '../catalog';

export const ALL_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];
export const NO_COLLECTION_DELETE = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** Replica paths of the apps/v1 workloads; the selector is a metav1.LabelSelector object. */
export const REPLICA_SCALE = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  labelSelectorPath: '.spec.selector',
};

export function resource(
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
