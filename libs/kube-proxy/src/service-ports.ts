// A Service as the proxy sees it: one entry per port and IP family, with every address it must
// capture. Invalid parts are left out and reported.
import type { Service } from './api-types';
import { serviceKey } from './api-types';
import { IPFamily, parseCidr, parseIP } from './ip';
import { InputProblem, serviceProblem } from './problems';

export type L4Protocol = 'tcp' | 'udp' | 'sctp';

export interface ServicePortInfo {
  /** "namespace/name:portName" ("namespace/name" for an unnamed port), upstream's spelling of a
   *  ServicePortName. */
  name: string;
  /** "namespace/name". */
  serviceKey: string;
  namespace: string;
  serviceName: string;
  portName: string;
  protocol: L4Protocol;
  port: number;
  clusterIP: string;
  externalIPs: string[];
  loadBalancerIPs: string[];
  loadBalancerSourceRanges: string[];
  /** 0 when the Service has no NodePort. */
  nodePort: number;
  /** 0 when sessionAffinity is not ClientIP. */
  affinityTimeoutSeconds: number;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
}

/** Kubernetes' default for sessionAffinityConfig.clientIP.timeoutSeconds (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;
const MAX_AFFINITY_TIMEOUT_SECONDS = 86400;

export function externallyAccessible(sp: ServicePortInfo): boolean {
  return sp.nodePort !== 0 || sp.externalIPs.length > 0 || sp.loadBalancerIPs.length > 0;
}

/** Whether any traffic to this port may be spread over the endpoints of every node. Even with an
 *  external policy of Local, pods and the node itself reach external addresses through the
 *  cluster-wide endpoints (the short-circuit rules), so any external address needs them. */
export function usesClusterEndpoints(sp: ServicePortInfo): boolean {
  return !sp.internalPolicyLocal || externallyAccessible(sp);
}

/** Whether any traffic to this port goes only to this node's endpoints. */
export function usesLocalEndpoints(sp: ServicePortInfo): boolean {
  return sp.internalPolicyLocal || (externallyAccessible(sp) && sp.externalPolicyLocal);
}

export interface ServicePortsResult {
  ports: ServicePortInfo[];
  problems: InputProblem[];
}

/** The ports of `svc` in one IP family; none for headless and ExternalName Services. */
export function servicePorts(svc: Service, family: IPFamily): ServicePortsResult {
  const key = serviceKey(svc);
  const problems: InputProblem[] = [];
  const spec = svc.spec ?? {};
  const type = spec.type ?? 'ClusterIP';
  if (type === 'ExternalName') return { ports: [], problems };

  const clusterIPs = spec.clusterIPs?.length
    ? spec.clusterIPs
    : spec.clusterIP
      ? [spec.clusterIP]
      : [];
  if (clusterIPs.length === 0 || clusterIPs[0] === 'None' || clusterIPs[0] === '') {
    return { ports: [], problems };
  }
  let clusterIP: string | undefined;
  for (const text of clusterIPs) {
    const parsed = parseIP(text);
    if (!parsed) {
      problems.push(serviceProblem(key, `clusterIP ${JSON.stringify(text)} is not an IP address`));
      return { ports: [], problems };
    }
    if (parsed.family === family && clusterIP === undefined) clusterIP = parsed.ip;
  }
  if (clusterIP === undefined) return { ports: [], problems };

  const externalIPs = addressesOfFamily(spec.externalIPs ?? [], family, (text) =>
    problems.push(serviceProblem(key, `externalIP ${JSON.stringify(text)} is not an IP address`)),
  );
  const ingress = type === 'LoadBalancer' ? (svc.status?.loadBalancer?.ingress ?? []) : [];
  const loadBalancerIPs = addressesOfFamily(
    ingress.filter((i) => i.ip && i.ipMode !== 'Proxy').map((i) => i.ip as string),
    family,
    (text) =>
      problems.push(
        serviceProblem(
          key,
          `load-balancer ingress IP ${JSON.stringify(text)} is not an IP address`,
        ),
      ),
  );
  const sourceRanges: string[] = [];
  for (const text of type === 'LoadBalancer' ? (spec.loadBalancerSourceRanges ?? []) : []) {
    const cidr = parseCidr(String(text).trim(), { strict: false });
    if (!cidr)
      problems.push(
        serviceProblem(key, `loadBalancerSourceRange ${JSON.stringify(text)} is not a CIDR`),
      );
    else if (cidr.family === family) sourceRanges.push(cidr.text);
  }

  let affinityTimeoutSeconds = 0;
  if (spec.sessionAffinity === 'ClientIP') {
    const timeout =
      spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS;
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > MAX_AFFINITY_TIMEOUT_SECONDS) {
      problems.push(
        serviceProblem(
          key,
          `sessionAffinity timeoutSeconds ${timeout} is not in 1-${MAX_AFFINITY_TIMEOUT_SECONDS}`,
        ),
      );
    } else {
      affinityTimeoutSeconds = timeout;
    }
  }

  const withNodePort = type === 'NodePort' || type === 'LoadBalancer';
  const [namespace, serviceName] = [svc.metadata.namespace ?? '', svc.metadata.name ?? ''];
  const ports: ServicePortInfo[] = [];
  for (const p of spec.ports ?? []) {
    const portName = typeof p.name === 'string' ? p.name : '';
    const label = `port ${portName || p.port}`;
    const protocol = (p.protocol ?? 'TCP').toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') {
      problems.push(
        serviceProblem(
          key,
          `${label}: protocol ${JSON.stringify(p.protocol)} is not TCP, UDP or SCTP`,
        ),
      );
      continue;
    }
    if (!isPort(p.port)) {
      problems.push(
        serviceProblem(key, `${label}: port ${JSON.stringify(p.port)} is not in 1-65535`),
      );
      continue;
    }
    let nodePort = 0;
    if (withNodePort && p.nodePort !== undefined && p.nodePort !== 0) {
      if (!isPort(p.nodePort)) {
        problems.push(
          serviceProblem(key, `${label}: nodePort ${JSON.stringify(p.nodePort)} is not in 1-65535`),
        );
        continue;
      }
      nodePort = p.nodePort;
    }
    ports.push({
      name: portName ? `${namespace}/${serviceName}:${portName}` : `${namespace}/${serviceName}`,
      serviceKey: key,
      namespace,
      serviceName,
      portName,
      protocol,
      port: p.port,
      clusterIP,
      externalIPs,
      loadBalancerIPs,
      loadBalancerSourceRanges: sourceRanges,
      nodePort,
      affinityTimeoutSeconds,
      // Only externally reachable ports have an external policy (as in Kubernetes).
      externalPolicyLocal: spec.externalTrafficPolicy === 'Local',
      internalPolicyLocal: spec.internalTrafficPolicy === 'Local',
    });
  }
  for (const sp of ports) sp.externalPolicyLocal &&= externallyAccessible(sp);
  return { ports, problems };
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

function addressesOfFamily(
  texts: readonly string[],
  family: IPFamily,
  bad: (text: string) => void,
): string[] {
  const out: string[] = [];
  for (const text of texts) {
    const parsed = parseIP(text);
    if (!parsed) bad(text);
    else if (parsed.family === family && !out.includes(parsed.ip)) out.push(parsed.ip);
  }
  return out;
}
