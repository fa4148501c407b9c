import { isPlainObject, jsonEqual, KubeObject } from '@flotilla/api';

// The `kubernetes` Service in `default`, through which pods reach the API: its ClusterIP is the
// first address of the service range, its port 443 (https) leads to the masters' API port, and
// its Endpoints and EndpointSlices list every master. Kubernetes' apiserver keeps them the same
// way (pkg/controlplane: the kubernetes service controller and the endpoints reconciler).
//
// The endpoints list exactly the masters that are alive: those whose kube-apiserver Lease in
// kube-system is renewed (apiserver-leases.ts), and the master doing the writing. A master that
// stops deletes its Lease and leaves at once; one that dies leaves when its Lease expires.
// Entries carry the master's name as their hostname. These are plain functions: what to write,
// given what is stored and which masters are alive.

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

/** An address and port in the endpoints, and the name of the master it belongs to. */
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

/**
 * The masters to list: every live one, and this master itself unless it is leaving. A live key
 * with this master's name but another address is its own predecessor (it moved; the old key
 * lapses with the old lease), and one with its address but another name cannot still be running.
 */
export function desiredMasters(
  live: readonly MasterAddress[],
  self: MasterAddress | undefined,
  selfListed = true,
): MasterAddress[] {
  const others = self
    ? live.filter((m) => m.name !== self.name && !(m.ip === self.ip && m.port === self.port))
    : [...live];
  return self && selfListed ? [...others, self] : others;
}

/** Each master once per address (ip:port), in address order. */
function entriesOf(masters: readonly MasterAddress[]): Entry[] {
  const seen = new Set<string>();
  const out: Entry[] = [];
  for (const m of masters) {
    if (seen.has(`${m.ip}:${m.port}`)) continue;
    seen.add(`${m.ip}:${m.port}`);
    out.push({ hostname: m.name, ip: m.ip, port: m.port });
  }
  return out.sort(byAddress);
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
 * The Endpoints default/kubernetes listing exactly `masters`: a body to create (no
 * resourceVersion) or to update (the stored resourceVersion, a precondition), or undefined when
 * already so.
 */
export function endpointsFor(
  current: KubeObject | undefined,
  masters: readonly MasterAddress[],
): KubeObject | undefined {
  const subsets = subsetsOf(entriesOf(masters));
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
 * The EndpointSlices of the kubernetes Service listing exactly `masters`. A slice has one port
 * list, so masters that share a host (the local cluster: one address, three API ports) get a
 * slice per port: the Service's targetPort in the slice named `kubernetes`, as in Kubernetes,
 * another port P in `kubernetes-P`. A stored slice keeps serving its port; slices left with no
 * master go, except the one named after the Service, which stays (empty).
 */
export function slicesFor(
  slices: KubeObject[],
  masters: readonly MasterAddress[],
  primaryPort: number,
): SlicePlan {
  const entries = entriesOf(masters);
  const ports = [...new Set(entries.map((e) => e.port))].sort((a, b) => a - b);
  const forPort = new Map<number, KubeObject>();
  for (const slice of slices) {
    const port = slicePort(slice);
    if (port !== undefined && ports.includes(port) && !forPort.has(port)) forPort.set(port, slice);
  }
  const taken = new Set(slices.map((s) => s.metadata.name));
  const created: KubeObject[] = [];
  for (const port of ports.filter((p) => !forPort.has(p))) {
    const other = `${KUBERNETES_SERVICE_NAME}-${port}`;
    const preferred = port === primaryPort ? KUBERNETES_SERVICE_NAME : other;
    const slice = newSlice(taken.has(preferred) ? other : preferred, port);
    taken.add(slice.metadata.name);
    forPort.set(port, slice);
    created.push(slice);
  }
  const plan: SlicePlan = { write: [], remove: [] };
  for (const slice of [...slices, ...created]) {
    const port = slicePort(slice);
    const mine = port !== undefined && forPort.get(port) === slice;
    const next = mine ? entries.filter((e) => e.port === port) : [];
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
