// Strategic-merge metadata (patchMergeKey / patchStrategy) of the kinds served, keyed by definition and field.
import { lookup } from './own-keys';
import { DEFINITIONS, definitionForKind } from './schemas';

export interface ListMeta {
  /** Elements with the same value of this key are merged; absent means a list of primitives. */
  mergeKey?: string;
  /** 'merge' merges lists (by key, or as a set of primitives); anything else replaces the whole list. */
  strategy: 'merge' | 'replace';
  retainKeys?: boolean;
}

const CORE = 'io.k8s.api.core.v1.';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const APPS = 'io.k8s.api.apps.v1.';

const byName: ListMeta = { mergeKey: 'name', strategy: 'merge' };
const byType: ListMeta = { mergeKey: 'type', strategy: 'merge' };

const LISTS: Record<string, ListMeta> = {
  [`${META}ObjectMeta.finalizers`]: { strategy: 'merge' },
  [`${META}ObjectMeta.ownerReferences`]: { mergeKey: 'uid', strategy: 'merge' },
  [`${CORE}PodSpec.containers`]: byName,
  [`${CORE}PodSpec.initContainers`]: byName,
  [`${CORE}PodSpec.ephemeralContainers`]: byName,
  [`${CORE}PodSpec.volumes`]: { mergeKey: 'name', strategy: 'merge', retainKeys: true },
  [`${CORE}PodSpec.imagePullSecrets`]: byName,
  [`${CORE}PodSpec.hostAliases`]: { mergeKey: 'ip', strategy: 'merge' },
  [`${CORE}PodSpec.topologySpreadConstraints`]: { mergeKey: 'topologyKey', strategy: 'merge' },
  [`${CORE}PodSpec.schedulingGates`]: byName,
  [`${CORE}PodSpec.resourceClaims`]: { mergeKey: 'name', strategy: 'merge', retainKeys: true },
  [`${CORE}Container.ports`]: { mergeKey: 'containerPort', strategy: 'merge' },
  [`${CORE}Container.env`]: byName,
  [`${CORE}Container.volumeMounts`]: { mergeKey: 'mountPath', strategy: 'merge' },
  [`${CORE}Container.volumeDevices`]: { mergeKey: 'devicePath', strategy: 'merge' },
  [`${CORE}ServiceSpec.ports`]: { mergeKey: 'port', strategy: 'merge' },
  [`${CORE}ServiceAccount.secrets`]: byName,
  [`${CORE}ServiceAccount.imagePullSecrets`]: byName,
  // Status lists are written by controllers; conditions merge by type as in Kubernetes.
  [`${CORE}Pod.status.conditions`]: byType,
  [`${CORE}Node.status.conditions`]: byType,
  [`${CORE}Node.status.addresses`]: byType,
  [`${CORE}Namespace.status.conditions`]: byType,
  [`${APPS}Deployment.status.conditions`]: byType,
  [`${APPS}ReplicaSet.status.conditions`]: byType,
};

/** Fields whose object value is replaced key-by-key per $retainKeys (Kubernetes marks them retainKeys). */
const RETAIN_KEYS = new Set([`${APPS}DeploymentSpec.strategy`]);

/** A position in the type tree: a definition name, a named status block, or unknown (plain JSON merge). */
export type PatchNode = { def: string } | { status: string } | undefined;

export function rootNode(group: string, version: string, kind: string): PatchNode {
  const found = definitionForKind(group, version, kind);
  return found ? { def: found[0] } : undefined;
}

export function childNode(node: PatchNode, key: string): PatchNode {
  if (!node) return undefined;
  if ('status' in node) return undefined;
  const def = lookup(DEFINITIONS, node.def);
  if (key === 'status' && def?.gvk) return { status: node.def };
  const type = def ? lookup(def.fields, key) : undefined;
  const ref = type ? /^(?:\[\])?#(.+)$/.exec(type) : null;
  return ref ? { def: ref[1] } : undefined;
}

export function listMeta(node: PatchNode, key: string): ListMeta {
  if (!node) return { strategy: 'replace' };
  const id = 'status' in node ? `${node.status}.status.${key}` : `${node.def}.${key}`;
  return lookup(LISTS, id) ?? { strategy: 'replace' };
}

export function fieldRetainsKeys(node: PatchNode, key: string): boolean {
  return !!node && 'def' in node && RETAIN_KEYS.has(`${node.def}.${key}`);
}
