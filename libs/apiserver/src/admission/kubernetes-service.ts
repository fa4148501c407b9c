import { isPlainObject, jsonEqual, KubeObject } from '@flotilla/api';

// The `kubernetes` Service in `default`, through which pods reach the API: its ClusterIP is the
// first address of the service range, its port 443 (https) leads to the masters' API port, and
// its Endpoints and EndpointSlices list every master. Kubernetes' apiserver keeps them the same
// way (pkg/controlplane: the kubernetes service controller and the endpoints reconciler).
//
// Each master puts its own address in and never takes another's out: entries carry the master's
// name as their hostname, so a master that comes back on a new address replaces its own entry,
// and an entry with this master's exact address but another name (a predecessor on the same
// host and port, which cannot still be running) is replaced too. These are plain functions: what
// to write, given what is stored.

export const KUBERNETES_SERVICE_NAMESPACE = 'default';
export const KUBERNETES_SERVICE_NAME = 'kubernetes';
export const KUBERNETES_SERVICE_PORT = 443;
const PORT_NAME = 'https';
/** The EndpointSlice label naming its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** Keeps the EndpointSlice mirroring controller away from Endpoints that have their own slices. */
export const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';

/** Where one master serves the API: its advertised IPv4 address and API port. */
export interface MasterAddress {
  name: string;
  ip: string;
  port: number;
}

/** An address and port in the endpoints, and the master it belongs to ('' when not known). */
interface Entry {
  hostname: string;
  ip: string;
  port: number;
}

/** The Service as the first master creates it; the API server's strategy fills in the rest. */
export function kubernetesServiceBody(clusterIP: string, apiPort: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: KUBERNETES_SERVICE_NAME,
      namespace: KUBERNETES_SERVICE_NAMESPACE,
      labels: { component: 'apiserver', provider: 'kubernetes' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP,
      clusterIPs: [clusterIP],
      sessionAffinity: 'None',
      ports: [
        { name: PORT_NAME, protocol: 'TCP', port: KUBERNETES_SERVICE_PORT, targetPort: apiPort },
      ],
    },
  };
}

/** The Service's numeric targetPort: the port of the EndpointSlice named after the Service. */
export function servicePrimaryPort(service: KubeObject | undefined): number | undefined {
  const spec = service && isPlainObject(service.spec) ? service.spec : {};
  const ports = Array.isArray(spec.ports) ? spec.ports : [];
  const target = isPlainObject(ports[0]) ? ports[0].targetPort : undefined;
  return typeof target === 'number' ? target : undefined;
}

const list = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? v.filter(isPlainObject) : [];

function byAddress(a: Entry, b: Entry): number {
  return a.port - b.port || compareIp(a.ip, b.ip) || a.hostname.localeCompare(b.hostname);
}

function compareIp(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** The entries without this master's (by name or by exact address), then this master's. */
function merge(entries: Entry[], self: MasterAddress): Entry[] {
  const others = entries.filter(
    (e) => e.hostname !== self.name && !(e.ip === self.ip && e.port === self.port),
  );
  return [...others, { hostname: self.name, ip: self.ip, port: self.port }].sort(byAddress);
}

function endpointsEntries(endpoints: KubeObject | undefined): Entry[] {
  const out: Entry[] = [];
  for (const subset of list(endpoints?.subsets)) {
    for (const port of list(subset.ports)) {
      for (const addr of list(subset.addresses)) {
        if (typeof addr.ip !== 'string' || typeof port.port !== 'number') continue;
        const hostname = typeof addr.hostname === 'string' ? addr.hostname : '';
        out.push({ hostname, ip: addr.ip, port: port.port });
      }
    }
  }
  return out;
}

/** One subset per port (masters on one host differ by port only), addresses in order. */
function subsetsOf(entries: Entry[]): Record<string, unknown>[] {
  const ports = [...new Set(entries.map((e) => e.port))].sort((a, b) => a - b);
  return ports.map((port) => ({
    addresses: entries
      .filter((e) => e.port === port)
      .map((e) => (e.hostname ? { ip: e.ip, hostname: e.hostname } : { ip: e.ip })),
    ports: [{ name: PORT_NAME, port, protocol: 'TCP' }],
  }));
}

/**
 * The Endpoints default/kubernetes with this master in it: a body to create (no resourceVersion)
 * or to update (the stored resourceVersion, a precondition), or undefined when already so.
 */
export function endpointsWithMaster(
  current: KubeObject | undefined,
  self: MasterAddress,
): KubeObject | undefined {
  const subsets = subsetsOf(merge(endpointsEntries(current), self));
  const labels = { ...(current?.metadata.labels ?? {}), [SKIP_MIRROR_LABEL]: 'true' };
  if (current && jsonEqual(current.subsets, subsets) && jsonEqual(current.metadata.labels, labels))
    return undefined;
  return {
    ...(current ?? {}),
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      ...(current?.metadata ?? {}),
      name: KUBERNETES_SERVICE_NAME,
      namespace: KUBERNETES_SERVICE_NAMESPACE,
      labels,
    },
    subsets,
  };
}

function slicePort(slice: KubeObject): number | undefined {
  const port = list(slice.ports)[0]?.port;
  return typeof port === 'number' ? port : undefined;
}

function sliceEntries(slice: KubeObject): Entry[] {
  const port = slicePort(slice);
  if (port === undefined) return [];
  return list(slice.endpoints).flatMap((ep) => {
    const ip = Array.isArray(ep.addresses) ? ep.addresses[0] : undefined;
    if (typeof ip !== 'string') return [];
    return [{ hostname: typeof ep.hostname === 'string' ? ep.hostname : '', ip, port }];
  });
}

function sliceEndpoints(entries: Entry[]): Record<string, unknown>[] {
  return entries.map((e) => ({
    addresses: [e.ip],
    conditions: { ready: true },
    ...(e.hostname ? { hostname: e.hostname } : {}),
  }));
}

function newSlice(name: string, port: number): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name,
      namespace: KUBERNETES_SERVICE_NAMESPACE,
      labels: { [SERVICE_NAME_LABEL]: KUBERNETES_SERVICE_NAME },
    },
    addressType: 'IPv4',
    endpoints: [],
    ports: [{ name: PORT_NAME, port, protocol: 'TCP' }],
  };
}

export interface SlicePlan {
  /** Bodies to create (no resourceVersion) or update (the stored one, a precondition). */
  write: KubeObject[];
  /** Stored slices to delete (emptied, other than the one named after the Service). */
  remove: KubeObject[];
}

/**
 * The EndpointSlices of the kubernetes Service with this master in them. A slice has one port
 * list, so masters that share a host (the local cluster: one address, three API ports) get a
 * slice per port: the Service's targetPort in the slice named `kubernetes`, as in Kubernetes,
 * another port P in `kubernetes-P`.
 */
export function slicesWithMaster(
  slices: KubeObject[],
  self: MasterAddress,
  primaryPort: number,
): SlicePlan {
  const plan: SlicePlan = { write: [], remove: [] };
  let mine = slices.find((s) => slicePort(s) === self.port);
  const taken = new Set(slices.map((s) => s.metadata.name));
  if (!mine) {
    const preferred =
      self.port === primaryPort
        ? KUBERNETES_SERVICE_NAME
        : `${KUBERNETES_SERVICE_NAME}-${self.port}`;
    const name = taken.has(preferred) ? `${KUBERNETES_SERVICE_NAME}-${self.port}` : preferred;
    mine = newSlice(name, self.port);
  }
  for (const slice of [...slices.filter((s) => s !== mine), mine]) {
    const entries = sliceEntries(slice);
    const next =
      slice === mine
        ? merge(entries, self)
        : entries.filter((e) => e.hostname !== self.name).sort(byAddress);
    const endpoints = sliceEndpoints(next);
    const stored = slice.metadata.resourceVersion !== undefined;
    if (stored && jsonEqual(slice.endpoints, endpoints)) continue;
    if (next.length === 0 && slice.metadata.name !== KUBERNETES_SERVICE_NAME) {
      if (stored) plan.remove.push(slice);
      continue;
    }
    plan.write.push({ ...slice, endpoints });
  }
  return plan;
}
