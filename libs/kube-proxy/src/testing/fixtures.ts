// Small builders of Services and EndpointSlices for tests and the bench.
import type { EndpointSlice, Service, ServicePort, ServiceSpec } from '../api-types';
import { SERVICE_NAME_LABEL } from '../api-types';
import type { RenderOptions } from '../render-options';

export function service(
  namespace: string,
  name: string,
  spec: ServiceSpec,
  status?: Service['status'],
): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name, uid: `uid-${namespace}-${name}` },
    spec: { type: 'ClusterIP', ...spec },
    ...(status ? { status } : {}),
  };
}

export function port(port: number, extra: Partial<ServicePort> = {}): ServicePort {
  return { port, protocol: 'TCP', ...extra };
}

export interface EndpointFixture {
  ip: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
  node?: string;
  hostname?: string;
}

export function slice(
  namespace: string,
  serviceName: string,
  endpoints: EndpointFixture[],
  ports: { name?: string; port: number; protocol?: string }[],
  options: { name?: string; addressType?: string } = {},
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace,
      name: options.name ?? `${serviceName}-abcde`,
      labels: { [SERVICE_NAME_LABEL]: serviceName },
    },
    addressType: options.addressType ?? 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: {
        ...(e.ready === undefined ? {} : { ready: e.ready }),
        ...(e.serving === undefined ? {} : { serving: e.serving }),
        ...(e.terminating === undefined ? {} : { terminating: e.terminating }),
      },
      ...(e.node ? { nodeName: e.node } : {}),
      ...(e.hostname ? { hostname: e.hostname } : {}),
    })),
    ports: ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

/** A worker "w1" at 192.168.50.1 with pods in 10.244.0.0/16 and Services in 10.96.0.0/16. */
export const NODE_OPTIONS: RenderOptions = {
  family: 'ipv4',
  nodeName: 'w1',
  nodeIPs: ['192.168.50.1'],
  nodePortIPs: ['192.168.50.1'],
  clusterCIDR: '10.244.0.0/16',
  serviceCIDRs: ['10.96.0.0/16'],
  masqueradeAll: false,
  masqueradeBit: 14,
};
