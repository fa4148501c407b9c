// What the EndpointSlice and Endpoints controllers agree on about a Service and its pods: which
// Services a controller serves, which pods back one, whether a pod is ready, serving or
// terminating, and which port a Service port leads to on a given pod (named ports resolved per
// pod, as kube-proxy needs them). Pure functions over the objects.
import { labelSelectorFromObject, matchesLabels, type LabelSelector } from '@flotilla/api';
import type { coreV1, Pod, Service } from '@flotilla/client';

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';

/** The selector of a Service this controller fills, or undefined (no selector, ExternalName). */
export function serviceSelector(service: Service): LabelSelector | undefined {
  if (service.spec?.type === 'ExternalName') return undefined;
  const selector = service.spec?.selector;
  // A Service without a selector (or with an empty one, which the API stores as none) has its
  // endpoints written by whoever owns it: the kubernetes Service by the masters, others by hand.
  if (!selector || Object.keys(selector).length === 0) return undefined;
  return labelSelectorFromObject({ matchLabels: selector });
}

export function selectsPod(selector: LabelSelector, pod: Pod): boolean {
  return matchesLabels(selector, pod.metadata.labels);
}

export function isHeadless(service: Service): boolean {
  return service.spec?.clusterIP === 'None';
}

export function isPodReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function isPodTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function isPodTerminating(pod: Pod): boolean {
  return pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
}

/** The pod's IPv4 addresses (podIPs, or podIP alone). */
export function podIPv4s(pod: Pod): string[] {
  const ips: string[] = [];
  for (const p of pod.status?.podIPs ?? []) if (p.ip) ips.push(p.ip);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips.filter((ip) => /^\d{1,3}(\.\d{1,3}){3}$/.test(ip));
}

/**
 * Whether a pod belongs in a Service's endpoints at all: it has an address and has not finished.
 * Terminating pods are kept when `includeTerminating` (EndpointSlices list them as terminating).
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (podIPv4s(pod).length === 0) return false;
  return includeTerminating || !isPodTerminating(pod);
}

/** A hostname is published only for pods that name the (headless) Service as their subdomain. */
export function hostnameFor(pod: Pod, service: Service): string | undefined {
  const hostname = pod.spec?.hostname;
  if (!hostname) return undefined;
  if (pod.spec?.subdomain !== service.metadata.name) return undefined;
  if (pod.metadata.namespace !== service.metadata.namespace) return undefined;
  return hostname;
}

/**
 * The port a Service port leads to on `pod`: a number as it is, a name looked up among the pod's
 * container ports of the same protocol. Undefined when the pod has no such named port.
 */
export function findPodPort(pod: Pod, servicePort: coreV1.ServicePort): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target > 0 ? target : servicePort.port;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = servicePort.protocol ?? 'TCP';
  const containers = [
    ...(pod.spec?.containers ?? []),
    // Sidecars (init containers that keep running) serve ports too.
    ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
  ];
  for (const container of containers) {
    for (const port of container.ports ?? []) {
      if (port.name === target && (port.protocol ?? 'TCP') === protocol) return port.containerPort;
    }
  }
  return undefined;
}

export interface ResolvedPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

/** The Service's ports as they lead to `pod`, in the Service's order; ports it lacks are left out. */
export function podPorts(pod: Pod, service: Service): ResolvedPort[] {
  const out: ResolvedPort[] = [];
  for (const sp of service.spec?.ports ?? []) {
    const port = findPodPort(pod, sp);
    if (port === undefined) continue;
    out.push({
      ...(sp.name ? { name: sp.name } : {}),
      port,
      protocol: sp.protocol ?? 'TCP',
      ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}),
    });
  }
  return out;
}

/** The pod as an object reference (an endpoint's targetRef). */
export function podRef(pod: Pod): coreV1.ObjectReference {
  return {
    kind: 'Pod',
    namespace: pod.metadata.namespace,
    name: pod.metadata.name,
    ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}),
  };
}

/**
 * The labels a Service's endpoints carry: the Service's own (but for the reserved ones), the
 * headless marker, and `reserved` on top.
 */
export function endpointLabels(
  service: Service,
  reserved: Record<string, string>,
): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.metadata.labels ?? {})) {
    if (k in reserved || k === LABEL_HEADLESS) continue;
    labels[k] = v;
  }
  if (isHeadless(service)) labels[LABEL_HEADLESS] = '';
  return { ...labels, ...reserved };
}

/** Pods sorted by namespace/name, so that what is written does not depend on cache order. */
export function byName(a: Pod, b: Pod): number {
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
