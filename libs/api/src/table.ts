// meta.k8s.io/v1 Table output with the columns and cells kubectl shows for each kind.
import { age } from './age';
import type { ResourceInfo } from './catalog';
import type { JsonObject, KubeObject } from './object';
import { getPath, isPlainObject } from './object';
import { priorityClassCells } from './priority-class';

export interface ColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

export interface TableOptions {
  /**
   * Accepted for the contract but not used: like Kubernetes, every column is always sent and kubectl itself
   * hides the priority-1 ones unless -o wide (the request cannot tell the server which one the user asked).
   */
  wide?: boolean;
  includeObject?: 'None' | 'Metadata' | 'Object';
  now: Date;
}

type Cell = string | number | boolean;
type Printer = { columns: ColumnDefinition[]; cells: (o: KubeObject, now: Date) => Cell[] };

function col(
  name: string,
  description: string,
  opts: Partial<ColumnDefinition> = {},
): ColumnDefinition {
  return { name, type: 'string', format: '', description, priority: 0, ...opts };
}

const NAME = col('Name', 'The unique name of the object in its namespace.', { format: 'name' });
const AGE = col('Age', 'How long ago the object was created.');

const list = (v: unknown): JsonObject[] =>
  Array.isArray(v) ? (v.filter(isPlainObject) as JsonObject[]) : [];
const str = (v: unknown, none = '<none>'): string =>
  v === undefined || v === null || v === '' ? none : String(v);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const created = (o: KubeObject, now: Date): string => age(o.metadata.creationTimestamp, now);

function selectorText(sel: unknown): string {
  if (!isPlainObject(sel)) return '<none>';
  const parts = Object.keys(sel)
    .sort()
    .map((k) => `${k}=${String(sel[k])}`);
  return parts.length ? parts.join(',') : '<none>';
}

function labelSelectorText(sel: unknown): string {
  if (!isPlainObject(sel)) return '<none>';
  const parts = Object.entries(isPlainObject(sel.matchLabels) ? sel.matchLabels : {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${String(v)}`);
  for (const e of list(sel.matchExpressions)) {
    const values = Array.isArray(e.values) ? e.values.join(',') : '';
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(String(e.key));
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

function templateContainers(o: KubeObject): JsonObject[] {
  return list(getPath(o, 'spec.template.spec.containers'));
}

const workloadWide = [
  col('Containers', 'Names of each container in the template.', { priority: 1 }),
  col('Images', 'Images referenced by each container in the template.', { priority: 1 }),
  col('Selector', 'Label query over pods that should match the replicas count.', { priority: 1 }),
];

function workloadWideCells(o: KubeObject): Cell[] {
  const containers = templateContainers(o);
  return [
    containers.map((c) => String(c.name)).join(','),
    containers.map((c) => String(c.image)).join(','),
    labelSelectorText(getPath(o, 'spec.selector')),
  ];
}

// ---- pods ----------------------------------------------------------------------------------------

/** The STATUS column: the most telling reason among phase, init and app container states. */
export function podStatusReason(o: KubeObject): string {
  const status = isPlainObject(o.status) ? o.status : {};
  let reason = str(status.reason, '') || str(status.phase, '') || 'Unknown';
  const inits = list(status.initContainerStatuses);
  let initializing = false;
  inits.forEach((c, i) => {
    if (initializing) return;
    const state = isPlainObject(c.state) ? c.state : {};
    const term = isPlainObject(state.terminated) ? state.terminated : undefined;
    const wait = isPlainObject(state.waiting) ? state.waiting : undefined;
    if (term && term.exitCode === 0) return;
    initializing = true;
    if (term) {
      reason = term.reason
        ? `Init:${String(term.reason)}`
        : term.signal
          ? `Init:Signal:${String(term.signal)}`
          : `Init:ExitCode:${String(term.exitCode)}`;
    } else if (wait && wait.reason && wait.reason !== 'PodInitializing') {
      reason = `Init:${String(wait.reason)}`;
    } else {
      reason = `Init:${i}/${list(getPath(o, 'spec.initContainers')).length || inits.length}`;
    }
  });
  if (!initializing) {
    let hasRunning = false;
    for (const c of [...list(status.containerStatuses)].reverse()) {
      const state = isPlainObject(c.state) ? c.state : {};
      const wait = isPlainObject(state.waiting) ? state.waiting : undefined;
      const term = isPlainObject(state.terminated) ? state.terminated : undefined;
      if (wait?.reason) reason = String(wait.reason);
      else if (term?.reason) reason = String(term.reason);
      else if (term)
        reason = term.signal
          ? `Signal:${String(term.signal)}`
          : `ExitCode:${String(term.exitCode)}`;
      else if (c.ready && isPlainObject(state.running)) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) {
      const ready = list(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True');
      reason = ready ? 'Running' : 'NotReady';
    }
  }
  if (o.metadata.deletionTimestamp)
    reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

function podRestarts(o: KubeObject, now: Date): string {
  let restarts = 0;
  let last = 0;
  for (const c of [
    ...list(getPath(o, 'status.initContainerStatuses')),
    ...list(getPath(o, 'status.containerStatuses')),
  ]) {
    restarts += num(c.restartCount);
    const finished = getPath(c, 'lastState.terminated.finishedAt');
    if (typeof finished === 'string') last = Math.max(last, Date.parse(finished) || 0);
  }
  return last > 0 && restarts > 0
    ? `${restarts} (${age(new Date(last).toISOString(), now)} ago)`
    : String(restarts);
}

const podPrinter: Printer = {
  columns: [
    NAME,
    col('Ready', 'The number of ready containers out of all containers.'),
    col('Status', 'The aggregate status of the containers in this pod.'),
    col(
      'Restarts',
      'The number of times the containers in this pod have been restarted and when the last one restarted.',
    ),
    AGE,
    col('IP', 'The IP address assigned to the pod.', { priority: 1 }),
    col('Node', 'The node the pod is assigned to.', { priority: 1 }),
    col('Nominated Node', 'The node the scheduler nominated for this pod, if any.', {
      priority: 1,
    }),
    col('Readiness Gates', 'Readiness gates that are met out of those declared.', { priority: 1 }),
  ],
  cells: (o, now) => {
    const statuses = list(getPath(o, 'status.containerStatuses'));
    const total = list(getPath(o, 'spec.containers')).length;
    const ready = statuses.filter((c) => c.ready === true).length;
    const gates = list(getPath(o, 'spec.readinessGates'));
    const conditions = list(getPath(o, 'status.conditions'));
    const gatesText = gates.length
      ? `${gates.filter((g) => conditions.some((c) => c.type === g.conditionType && c.status === 'True')).length}/${gates.length}`
      : '<none>';
    return [
      o.metadata.name ?? '',
      `${ready}/${total}`,
      podStatusReason(o),
      podRestarts(o, now),
      created(o, now),
      str(getPath(o, 'status.podIP')),
      str(getPath(o, 'spec.nodeName')),
      str(getPath(o, 'status.nominatedNodeName')),
      gatesText,
    ];
  },
};

// ---- nodes ---------------------------------------------------------------------------------------

function nodeStatus(o: KubeObject): string {
  const ready = list(getPath(o, 'status.conditions')).find((c) => c.type === 'Ready');
  const parts = [
    ready === undefined
      ? 'Unknown'
      : ready.status === 'True'
        ? 'Ready'
        : ready.status === 'False'
          ? 'NotReady'
          : 'Unknown',
  ];
  if (getPath(o, 'spec.unschedulable') === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeRoles(o: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length) {
      roles.add(k.slice('node-role.kubernetes.io/'.length));
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

function nodeAddress(o: KubeObject, type: string): string {
  return str(list(getPath(o, 'status.addresses')).find((a) => a.type === type)?.address);
}

const nodePrinter: Printer = {
  columns: [
    NAME,
    col('Status', 'The readiness of the node, and whether it accepts new pods.'),
    col('Roles', 'The roles of the node, from its node-role labels.'),
    AGE,
    col('Version', 'The kubelet version reported by the node.'),
    col('Internal-IP', 'The internal address of the node.', { priority: 1 }),
    col('External-IP', 'The external address of the node.', { priority: 1 }),
    col('OS-Image', 'The operating system image of the node.', { priority: 1 }),
    col('Kernel-Version', 'The kernel version of the node.', { priority: 1 }),
    col('Container-Runtime', 'The container runtime and its version.', { priority: 1 }),
  ],
  cells: (o, now) => [
    o.metadata.name ?? '',
    nodeStatus(o),
    nodeRoles(o),
    created(o, now),
    str(getPath(o, 'status.nodeInfo.kubeletVersion'), ''),
    nodeAddress(o, 'InternalIP'),
    nodeAddress(o, 'ExternalIP'),
    str(getPath(o, 'status.nodeInfo.osImage'), '<unknown>'),
    str(getPath(o, 'status.nodeInfo.kernelVersion'), '<unknown>'),
    str(getPath(o, 'status.nodeInfo.containerRuntimeVersion'), '<unknown>'),
  ],
};

// ---- services ------------------------------------------------------------------------------------

function serviceExternalIP(o: KubeObject): string {
  const spec = isPlainObject(o.spec) ? o.spec : {};
  const external = Array.isArray(spec.externalIPs) ? (spec.externalIPs as string[]) : [];
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return external.length ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress = list(getPath(o, 'status.loadBalancer.ingress')).map((i) =>
        String(i.ip ?? i.hostname ?? ''),
      );
      const all = [...ingress, ...external].filter(Boolean);
      return all.length ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

function servicePorts(o: KubeObject): string {
  const ports = list(getPath(o, 'spec.ports'));
  if (ports.length === 0) return '<none>';
  return ports
    .map(
      (p) =>
        `${String(p.port)}${p.nodePort ? `:${String(p.nodePort)}` : ''}/${String(p.protocol ?? 'TCP')}`,
    )
    .join(',');
}

const servicePrinter: Printer = {
  columns: [
    NAME,
    col('Type', 'How the service is exposed.'),
    col('Cluster-IP', 'The cluster-internal address of the service.'),
    col('External-IP', 'Addresses the service is reachable at from outside the cluster.'),
    col('Port(s)', 'The ports the service exposes.'),
    AGE,
    col('Selector', 'The labels of the pods traffic is routed to.', { priority: 1 }),
  ],
  cells: (o, now) => [
    o.metadata.name ?? '',
    str(getPath(o, 'spec.type'), 'ClusterIP'),
    str(getPath(o, 'spec.clusterIP')),
    serviceExternalIP(o),
    servicePorts(o),
    created(o, now),
    selectorText(getPath(o, 'spec.selector')),
  ],
};

// ---- endpoints, slices ---------------------------------------------------------------------------

function endpointsText(o: KubeObject): string {
  const all: string[] = [];
  for (const subset of list(o.subsets)) {
    const ports = list(subset.ports);
    for (const addr of list(subset.addresses)) {
      if (ports.length === 0) all.push(String(addr.ip));
      else for (const p of ports) all.push(`${String(addr.ip)}:${String(p.port)}`);
    }
  }
  if (all.length === 0) return '<none>';
  return all.length > 3
    ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...`
    : all.join(',');
}

const endpointsPrinter: Printer = {
  columns: [NAME, col('Endpoints', 'The addresses and ports that back the service.'), AGE],
  cells: (o, now) => [o.metadata.name ?? '', endpointsText(o), created(o, now)],
};

const endpointSlicePrinter: Printer = {
  columns: [
    NAME,
    col('AddressType', 'The type of address carried by this slice.'),
    col('Ports', 'The ports exposed by the endpoints.'),
    col('Endpoints', 'The addresses of the endpoints.'),
    AGE,
  ],
  cells: (o, now) => {
    const ports = list(o.ports).map((p) => String(p.port ?? ''));
    const addrs = list(o.endpoints).flatMap((e) =>
      Array.isArray(e.addresses) ? e.addresses.map(String) : [],
    );
    const addrText =
      addrs.length === 0
        ? '<unset>'
        : addrs.length > 3
          ? `${addrs.slice(0, 3).join(',')} + ${addrs.length - 3} more...`
          : addrs.join(',');
    return [
      o.metadata.name ?? '',
      str(o.addressType, ''),
      ports.length ? ports.join(',') : '<unset>',
      addrText,
      created(o, now),
    ];
  },
};

// ---- workloads -----------------------------------------------------------------------------------

const deploymentPrinter: Printer = {
  columns: [
    NAME,
    col('Ready', 'Ready replicas out of desired replicas.'),
    col('Up-to-date', 'Replicas updated to the latest template.', { type: 'integer' }),
    col('Available', 'Replicas available to serve.', { type: 'integer' }),
    AGE,
    ...workloadWide,
  ],
  cells: (o, now) => [
    o.metadata.name ?? '',
    `${num(getPath(o, 'status.readyReplicas'))}/${num(getPath(o, 'spec.replicas'))}`,
    num(getPath(o, 'status.updatedReplicas')),
    num(getPath(o, 'status.availableReplicas')),
    created(o, now),
    ...workloadWideCells(o),
  ],
};

const replicaSetPrinter: Printer = {
  columns: [
    NAME,
    col('Desired', 'The number of replicas wanted.', { type: 'integer' }),
    col('Current', 'The number of replicas that exist.', { type: 'integer' }),
    col('Ready', 'The number of ready replicas.', { type: 'integer' }),
    AGE,
    ...workloadWide,
  ],
  cells: (o, now) => [
    o.metadata.name ?? '',
    num(getPath(o, 'spec.replicas')),
    num(getPath(o, 'status.replicas')),
    num(getPath(o, 'status.readyReplicas')),
    created(o, now),
    ...workloadWideCells(o),
  ],
};

// ---- the rest ------------------------------------------------------------------------------------

const namespacePrinter: Printer = {
  columns: [NAME, col('Status', 'The lifecycle phase of the namespace.'), AGE],
  cells: (o, now) => [o.metadata.name ?? '', str(getPath(o, 'status.phase'), ''), created(o, now)],
};

const configMapPrinter: Printer = {
  columns: [NAME, col('Data', 'The number of entries.', { type: 'integer' }), AGE],
  cells: (o, now) => [
    o.metadata.name ?? '',
    Object.keys(isPlainObject(o.data) ? o.data : {}).length +
      Object.keys(isPlainObject(o.binaryData) ? o.binaryData : {}).length,
    created(o, now),
  ],
};

const secretPrinter: Printer = {
  columns: [
    NAME,
    col('Type', 'The type of the secret.'),
    col('Data', 'The number of entries.', { type: 'integer' }),
    AGE,
  ],
  cells: (o, now) => [
    o.metadata.name ?? '',
    str(o.type, 'Opaque'),
    Object.keys(isPlainObject(o.data) ? o.data : {}).length,
    created(o, now),
  ],
};

const serviceAccountPrinter: Printer = {
  columns: [NAME, col('Secrets', 'The number of secrets.', { type: 'integer' }), AGE],
  cells: (o, now) => [o.metadata.name ?? '', list(o.secrets).length, created(o, now)],
};

const leasePrinter: Printer = {
  columns: [NAME, col('Holder', 'The identity of the current holder.'), AGE],
  cells: (o, now) => [
    o.metadata.name ?? '',
    str(getPath(o, 'spec.holderIdentity'), ''),
    created(o, now),
  ],
};

function eventTimes(o: KubeObject): { last: unknown; first: unknown } {
  const last =
    o.lastTimestamp ??
    o.deprecatedLastTimestamp ??
    getPath(o, 'series.lastObservedTime') ??
    o.eventTime;
  const first = o.firstTimestamp ?? o.deprecatedFirstTimestamp ?? o.eventTime;
  return { last, first };
}

const eventPrinter: Printer = {
  columns: [
    col('Last Seen', 'When the event was last observed.'),
    col('Type', 'Normal or Warning.'),
    col('Reason', 'A short reason for the event.'),
    col('Object', 'The object the event is about.'),
    col('Subobject', 'The part of the object the event is about.', { priority: 1 }),
    col('Source', 'The component that reported the event.', { priority: 1 }),
    col('Message', 'A human-readable description.'),
    col('First Seen', 'When the event was first observed.', { priority: 1 }),
    col('Count', 'How many times the event occurred.', { type: 'integer', priority: 1 }),
    col('Name', 'The name of the event object.', { format: 'name', priority: 1 }),
  ],
  cells: (o, now) => {
    const ref = isPlainObject(o.involvedObject)
      ? o.involvedObject
      : isPlainObject(o.regarding)
        ? o.regarding
        : {};
    const { last, first } = eventTimes(o);
    const source = isPlainObject(o.source)
      ? o.source
      : isPlainObject(o.deprecatedSource)
        ? o.deprecatedSource
        : {};
    const sourceText =
      [source.component, source.host].filter(Boolean).join(', ') ||
      str(o.reportingController ?? o.reportingComponent, '');
    return [
      age(last, now),
      str(o.type, ''),
      str(o.reason, ''),
      `${String(ref.kind ?? '').toLowerCase()}/${String(ref.name ?? '')}`,
      str(ref.fieldPath, ''),
      sourceText,
      str(o.message ?? o.note, ''),
      age(first, now),
      num(o.count ?? o.deprecatedCount ?? getPath(o, 'series.count') ?? 1) || 1,
      o.metadata.name ?? '',
    ];
  },
};

const priorityClassPrinter: Printer = {
  columns: [
    NAME,
    col('Value', 'The integer value of the priority.', { type: 'integer' }),
    col('Global-Default', 'Whether pods without a class get this one.', { type: 'boolean' }),
    AGE,
    col('PreemptionPolicy', 'Whether pods of this class may preempt others.'),
  ],
  cells: (o, now) => {
    const c = priorityClassCells(o);
    return [o.metadata.name ?? '', c.value, c.globalDefault, created(o, now), c.policy];
  },
};

const genericPrinter: Printer = {
  columns: [NAME, AGE],
  cells: (o, now) => [o.metadata.name ?? '', created(o, now)],
};

const PRINTERS: Record<string, Printer> = {
  '/Pod': podPrinter,
  '/Node': nodePrinter,
  '/Service': servicePrinter,
  '/Endpoints': endpointsPrinter,
  '/Namespace': namespacePrinter,
  '/ConfigMap': configMapPrinter,
  '/Secret': secretPrinter,
  '/ServiceAccount': serviceAccountPrinter,
  '/Event': eventPrinter,
  'events.k8s.io/Event': eventPrinter,
  'apps/Deployment': deploymentPrinter,
  'apps/ReplicaSet': replicaSetPrinter,
  'coordination.k8s.io/Lease': leasePrinter,
  'discovery.k8s.io/EndpointSlice': endpointSlicePrinter,
  'scheduling.k8s.io/PriorityClass': priorityClassPrinter,
};

export function tableColumns(r: ResourceInfo): ColumnDefinition[] {
  return (PRINTERS[`${r.group}/${r.kind}`] ?? genericPrinter).columns;
}

function rowObject(
  o: KubeObject,
  include: TableOptions['includeObject'],
): Record<string, unknown> | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function toTable(
  r: ResourceInfo,
  objects: KubeObject[],
  opts: TableOptions,
): Record<string, unknown> {
  const printer = PRINTERS[`${r.group}/${r.kind}`] ?? genericPrinter;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: printer.columns,
    rows: objects.map((o) => {
      const cells = printer.cells(o, opts.now);
      const object = rowObject(o, opts.includeObject ?? 'Metadata');
      return object ? { cells, object } : { cells };
    }),
  };
}
