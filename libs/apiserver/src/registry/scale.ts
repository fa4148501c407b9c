import {
  apiErrors,
  fieldErrors,
  getPath,
  isPlainObject,
  KubeObject,
  labelSelectorFromObject,
  labelSelectorToString,
  ResourceInfo,
} from '@flotilla/api';

export const SCALE_KIND = { group: 'autoscaling', kind: 'Scale' };

/** The autoscaling/v1 Scale view of a deployment or replica set. */
export function toScale(r: ResourceInfo, obj: KubeObject): KubeObject {
  const paths = r.scale!;
  const replicas = getPath(obj, paths.specReplicasPath.slice(1));
  const statusReplicas = getPath(obj, paths.statusReplicasPath.slice(1));
  const selector = paths.labelSelectorPath
    ? getPath(obj, paths.labelSelectorPath.slice(1))
    : undefined;
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: typeof replicas === 'number' ? replicas : 0 },
    status: {
      replicas: typeof statusReplicas === 'number' ? statusReplicas : 0,
      ...(isPlainObject(selector)
        ? { selector: labelSelectorToString(labelSelectorFromObject(selector)) }
        : // A custom resource keeps its selector serialized, at labelSelectorPath, as a string.
          typeof selector === 'string' && selector
          ? { selector }
          : {}),
    },
  };
}

/** The replica count a Scale asks for, validated as Kubernetes does (422 on the Scale kind). */
export function replicasOf(scale: KubeObject): number {
  const spec = isPlainObject(scale.spec) ? scale.spec : {};
  const n = spec.replicas ?? 0;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw apiErrors.invalid(SCALE_KIND, scale.metadata.name ?? '', [
      fieldErrors.invalid('spec.replicas', n, 'must be greater than or equal to 0'),
    ]);
  }
  return n;
}

export function withReplicas(r: ResourceInfo, obj: KubeObject, replicas: number): KubeObject {
  const path = r.scale!.specReplicasPath.slice(1).split('.');
  const next = structuredClone(obj) as Record<string, unknown>;
  let cur = next;
  for (const part of path.slice(0, -1)) {
    if (!isPlainObject(cur[part])) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[path[path.length - 1]] = replicas;
  return next as KubeObject;
}
