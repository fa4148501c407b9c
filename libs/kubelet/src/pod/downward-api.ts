// The downward API: a pod's own fields and its containers' resources as text, for env vars and
// downwardAPI volume files.
import { parseQuantity } from '@flotilla/api';
import type { Container, ObjectFieldSelector, Pod, ResourceFieldSelector } from './types';

/** Where the pod runs, known once its sandbox is up. */
export interface PodPlacement {
  hostIP: string;
  hostIPs: string[];
  podIP: string;
  podIPs: string[];
}

/** What the node offers, the default for a resourceFieldRef to a limit the container lacks. */
export interface NodeAllocatable {
  cpuMilli: number;
  memoryBytes: number;
  ephemeralStorageBytes: number;
}

export class DownwardApiError extends Error {}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.+)'\]$/;

function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(map![k])}`)
    .join('\n');
}

/** The text of a fieldRef; whole label/annotation maps only in volumes (allowMaps). */
export function fieldRefValue(
  pod: Pod,
  ref: ObjectFieldSelector,
  placement: PodPlacement,
  allowMaps = false,
): string {
  const path = ref.fieldPath;
  const sub = SUBSCRIPT.exec(path);
  if (sub) {
    const map = sub[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations;
    return map?.[sub[2]] ?? '';
  }
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace;
    case 'metadata.uid':
      return pod.metadata.uid;
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.hostIP':
      return placement.hostIP;
    case 'status.hostIPs':
      return placement.hostIPs.join(',');
    case 'status.podIP':
      return placement.podIP;
    case 'status.podIPs':
      return placement.podIPs.join(',');
  }
  if (allowMaps && path === 'metadata.labels') return formatMap(pod.metadata.labels);
  if (allowMaps && path === 'metadata.annotations') return formatMap(pod.metadata.annotations);
  throw new DownwardApiError(`unsupported fieldPath: ${path}`);
}

/** The text of a resourceFieldRef: the amount in divisor units, rounded up. */
export function resourceFieldRefValue(
  pod: Pod,
  ref: ResourceFieldSelector,
  defaultContainer: Container | undefined,
  node: NodeAllocatable,
): string {
  const container = ref.containerName
    ? [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find(
        (c) => c.name === ref.containerName,
      )
    : defaultContainer;
  if (!container) {
    throw new DownwardApiError(`resourceFieldRef: no container named ${ref.containerName ?? ''}`);
  }
  const m = /^(limits|requests)\.(cpu|memory|ephemeral-storage)$/.exec(ref.resource);
  if (!m) throw new DownwardApiError(`unsupported resource: ${ref.resource}`);
  const [, kind, name] = m;
  const divisor = ref.divisor === undefined ? 1 : parseQuantity(ref.divisor);
  if (!divisor || divisor <= 0) {
    throw new DownwardApiError(`invalid divisor ${String(ref.divisor)} for ${ref.resource}`);
  }
  const set = container.resources?.[kind as 'limits' | 'requests']?.[name];
  let amount = set === undefined ? undefined : parseQuantity(set);
  if (amount === undefined && kind === 'limits') {
    amount =
      name === 'cpu'
        ? node.cpuMilli / 1000
        : name === 'memory'
          ? node.memoryBytes
          : node.ephemeralStorageBytes;
  }
  // No request reads as 0. The tolerance keeps float error (0.5 / 0.001) from rounding up.
  const ratio = (amount ?? 0) / divisor;
  return String(Math.ceil(ratio - 1e-9 * Math.max(1, ratio)));
}
