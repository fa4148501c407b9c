// The legacy v1 Endpoints of a Service, pure: every (pod, port) pair the Service reaches, packed
// into subsets of addresses that share one port list, ready addresses apart from not-ready ones,
// in a canonical order so that an unchanged Service compares equal and is not written again.
import type { coreV1, Pod, Service } from '@flotilla/client';
import {
  hostnameFor,
  isHeadless,
  isPodReady,
  podIPv4s,
  podPorts,
  podRef,
  shouldPodBeInEndpoints,
} from '../service-endpoints/pod-endpoints';

/** Kubernetes truncates an Endpoints object to this many addresses. */
export const MAX_ENDPOINT_ADDRESSES = 1000;
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';

export type EndpointSubset = coreV1.EndpointSubset;
type Address = coreV1.EndpointAddress;
type Port = coreV1.EndpointPort;

interface Entry {
  address: Address;
  ready: boolean;
  ports: Port[];
}

export function addressOf(pod: Pod, service: Service): Address {
  const hostname = hostnameFor(pod, service);
  return {
    ip: podIPv4s(pod)[0],
    ...(hostname ? { hostname } : {}),
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    targetRef: podRef(pod),
  };
}

/** The subsets of `service` over `pods` (those its selector picks). */
export function computeSubsets(
  service: Service,
  pods: readonly Pod[],
): { subsets: EndpointSubset[]; truncated: boolean } {
  const publishNotReady = service.spec?.publishNotReadyAddresses === true;
  const entries: Entry[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const ports: Port[] = podPorts(pod, service).map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      port: p.port,
      protocol: p.protocol,
      ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
    }));
    // A Service with ports the pod reaches none of gives it no address; a headless Service
    // without ports lists its pods without ports.
    if (ports.length === 0 && !(isHeadless(service) && (service.spec?.ports ?? []).length === 0)) {
      continue;
    }
    entries.push({
      address: addressOf(pod, service),
      ready: publishNotReady || isPodReady(pod),
      ports,
    });
  }
  return pack(entries);
}

const portText = (p: Port) =>
  `${p.name ?? ''}/${p.port}/${p.protocol ?? 'TCP'}/${p.appProtocol ?? ''}`;
const addressText = (a: Address) =>
  `${a.ip}/${a.targetRef?.namespace ?? ''}/${a.targetRef?.name ?? ''}`;

/** Groups addresses by their port list; sorts ports, addresses and subsets. */
function pack(entries: Entry[]): { subsets: EndpointSubset[]; truncated: boolean } {
  const groups = new Map<string, { ports: Port[]; ready: Address[]; notReady: Address[] }>();
  let total = 0;
  let truncated = false;
  const sorted = [...entries].sort((a, b) => cmp(addressText(a.address), addressText(b.address)));
  for (const e of sorted) {
    if (total >= MAX_ENDPOINT_ADDRESSES) {
      truncated = true;
      break;
    }
    total++;
    const ports = [...e.ports].sort((a, b) => cmp(portText(a), portText(b)));
    const key = ports.map(portText).join(',');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: [], notReady: [] }));
    (e.ready ? g.ready : g.notReady).push(e.address);
  }
  const subsets = [...groups.entries()]
    .sort(([a], [b]) => cmp(a, b))
    .map(([, g]) => ({
      ...(g.ready.length > 0 ? { addresses: g.ready } : {}),
      ...(g.notReady.length > 0 ? { notReadyAddresses: g.notReady } : {}),
      ...(g.ports.length > 0 ? { ports: g.ports } : {}),
    }));
  return { subsets, truncated };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
