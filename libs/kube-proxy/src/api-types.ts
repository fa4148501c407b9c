// The parts of core/v1 Service and Node and discovery/v1 EndpointSlice that the node's networking
// reads. Objects arrive as plain JSON from informers; every field is optional here because a
// malformed object must be reported, not crash the proxy.
import type { KubeObject } from '@flotilla/api';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ServicePort {
  name?: string;
  protocol?: string;
  port?: number;
  targetPort?: number | string;
  nodePort?: number;
}

export interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
  externalIPs?: string[];
  externalName?: string;
  sessionAffinity?: string;
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
  externalTrafficPolicy?: string;
  internalTrafficPolicy?: string;
  loadBalancerSourceRanges?: string[];
  publishNotReadyAddresses?: boolean;
  selector?: Record<string, string>;
}

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  /** 'Proxy' means the load balancer itself delivers to the nodes: the node must not capture it. */
  ipMode?: string;
}

export interface Service extends KubeObject {
  spec?: ServiceSpec;
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
}

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface Endpoint {
  addresses?: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  nodeName?: string;
  zone?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string; uid?: string };
}

export interface EndpointPort {
  name?: string;
  protocol?: string;
  port?: number;
  appProtocol?: string;
}

export interface EndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?: Endpoint[];
  ports?: EndpointPort[];
}

export interface NodeAddress {
  type?: string;
  address?: string;
}

export interface Node extends KubeObject {
  spec?: { podCIDR?: string; podCIDRs?: string[]; unschedulable?: boolean };
  status?: {
    addresses?: NodeAddress[];
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
  };
}

/** The label an EndpointSlice carries to name the Service it belongs to. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** "namespace/name": the key a Service and its EndpointSlices share. */
export function serviceKey(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

/** The Service key an EndpointSlice belongs to, or undefined when it names none. */
export function sliceServiceKey(slice: EndpointSlice): string | undefined {
  const name = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  return name ? `${slice.metadata.namespace ?? ''}/${name}` : undefined;
}
