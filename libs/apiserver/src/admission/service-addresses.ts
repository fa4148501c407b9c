import {
  apiErrors,
  fieldErrors,
  isPlainObject,
  KubeObject,
  ResourceInfo,
  StatusCause,
} from '@flotilla/api';
import { nodePortKey, serviceIpKey } from '../storage/key-layout';
import { ipToNumber, numberToIp, ServiceRanges } from './service-ranges';

export * from './service-ranges';

/** A Service's addresses after allocation, and the allocation keys to create and to free. */
export interface AddressPlan {
  service: KubeObject;
  claim: string[];
  release: string[];
  /** Claimed keys the user asked for by value: taken means 422, not a retry. */
  explicit: Map<string, { field: string; value: string | number; what: 'IP' | 'port' }>;
}

type Port = { port?: number; nodePort?: number; [k: string]: unknown };

function specOf(svc: KubeObject): Record<string, unknown> {
  return isPlainObject(svc.spec) ? svc.spec : {};
}

function wantsNodePorts(type: unknown): boolean {
  return type === 'NodePort' || type === 'LoadBalancer';
}

/** The allocation keys a stored Service holds. */
export function heldKeys(svc: KubeObject | undefined): string[] {
  if (!svc) return [];
  const spec = specOf(svc);
  const keys: string[] = [];
  const ip = spec.clusterIP;
  if (typeof ip === 'string' && ip !== 'None' && ip !== '') keys.push(serviceIpKey(ip));
  for (const p of (Array.isArray(spec.ports) ? spec.ports : []) as Port[]) {
    if (typeof p?.nodePort === 'number' && p.nodePort > 0) keys.push(nodePortKey(p.nodePort));
  }
  return keys;
}

/**
 * Fills in spec.clusterIP(s) and node ports: explicit values must be in range (422 otherwise),
 * missing ones are drawn at random. `random(n)` returns an integer in [0, n).
 */
export function planAddresses(
  r: ResourceInfo,
  next: KubeObject,
  prev: KubeObject | undefined,
  ranges: ServiceRanges,
  random: (n: number) => number,
): AddressPlan {
  const { cidr, nodePorts } = ranges;
  const service = structuredClone(next);
  const spec = (service.spec = { ...specOf(service) });
  const explicit: AddressPlan['explicit'] = new Map();
  const causes: StatusCause[] = [];
  const name = service.metadata.name ?? '';

  if (spec.type !== 'ExternalName') {
    const prevIp = prev ? specOf(prev).clusterIP : undefined;
    let ip = spec.clusterIP;
    if (ip === undefined || ip === '') ip = prevIp;
    if (ip === undefined || ip === '') {
      // .0 (network), .1 (the kubernetes Service's) and the broadcast address are never drawn.
      ip = numberToIp(cidr.base + 2 + random(cidr.size - 3));
    } else if (ip !== 'None' && ip !== prevIp) {
      const n = typeof ip === 'string' ? ipToNumber(ip) : undefined;
      if (n === undefined || n < cidr.base || n >= cidr.base + cidr.size) {
        causes.push(
          fieldErrors.invalid(
            'spec.clusterIPs[0]',
            ip,
            n === undefined
              ? 'must be a valid IP address'
              : `provided IP is not in the valid range. The range of valid IPs is ${cidr.text}`,
          ),
        );
      } else {
        explicit.set(serviceIpKey(ip as string), {
          field: 'spec.clusterIPs[0]',
          value: ip as string,
          what: 'IP',
        });
      }
    }
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
    spec.ipFamilies ??= ['IPv4'];
    spec.ipFamilyPolicy ??= 'SingleStack';
  }

  const prevPorts = new Set(
    (prev && wantsNodePorts(specOf(prev).type) ? heldKeys(prev) : []).filter((k) =>
      k.includes('servicenodeports'),
    ),
  );
  if (Array.isArray(spec.ports)) {
    spec.ports = (spec.ports as Port[]).map((p, i) => {
      if (!isPlainObject(p)) return p;
      const port = { ...p };
      if (!wantsNodePorts(spec.type)) {
        delete port.nodePort;
        return port;
      }
      if (port.nodePort === undefined || port.nodePort === 0) {
        port.nodePort = nodePorts.min + random(nodePorts.max - nodePorts.min + 1);
      } else if (!prevPorts.has(nodePortKey(port.nodePort))) {
        const n = port.nodePort;
        if (!Number.isInteger(n) || n < nodePorts.min || n > nodePorts.max) {
          causes.push(
            fieldErrors.invalid(
              `spec.ports[${i}].nodePort`,
              n,
              `provided port is not in the valid range. The range of valid ports is ${nodePorts.min}-${nodePorts.max}`,
            ),
          );
        } else {
          explicit.set(nodePortKey(n), {
            field: `spec.ports[${i}].nodePort`,
            value: n,
            what: 'port',
          });
        }
      }
      return port;
    });
  }
  if (causes.length > 0) throw apiErrors.invalid(r, name, causes);

  const held = new Set(heldKeys(prev));
  const wanted = heldKeys(service);
  const duplicates = wanted.filter((k, i) => wanted.indexOf(k) !== i);
  if (duplicates.length > 0) {
    throw apiErrors.invalid(r, name, [
      fieldErrors.duplicate('spec.ports', duplicates[0].split('/').pop()),
    ]);
  }
  return {
    service,
    claim: wanted.filter((k) => !held.has(k)),
    release: [...held].filter((k) => !wanted.includes(k)),
    explicit,
  };
}

/** The 422 for an explicit address someone else holds. */
export function alreadyAllocated(
  r: ResourceInfo,
  name: string,
  taken: { field: string; value: string | number; what: 'IP' | 'port' },
) {
  return apiErrors.invalid(r, name, [
    fieldErrors.invalid(taken.field, taken.value, `provided ${taken.what} is already allocated`),
  ]);
}
