// core/v1 Service (its addresses are allocated by the API server's registry).
import type { MessageTable } from '../../protobuf/schema';
import { childObject, objectList, setDefault } from '../../defaults';
import { fieldErrors } from '../../field-errors';
import type { JsonObject, KubeObject } from '../../object';
import { getPath, isPlainObject } from '../../object';
import type { StatusCause } from '../../status';
import { entries } from '../../validate-kinds';
import { validateLabels } from '../../validate-meta';
import { PORT_RANGE_MESSAGE, PROTOCOLS, validPort } from '../../validate-pod';
import type { KindModule, Printer } from '../kind-module';
import { spec } from '../kind-module';
import { CORE, kindFields } from '../meta';
import { AGE, col, created, list, NAME, selectorText, str } from '../printing';
import { resource } from '../resource';

function defaultService(o: KubeObject): void {
  const s = childObject(o, 'spec');
  setDefault(s, 'type', 'ClusterIP');
  setDefault(s, 'sessionAffinity', 'None');
  if (s.sessionAffinity === 'ClientIP') {
    const cfg = childObject(s, 'sessionAffinityConfig');
    setDefault(childObject(cfg, 'clientIP'), 'timeoutSeconds', 10800);
  }
  for (const port of objectList(s.ports)) {
    setDefault(port, 'protocol', 'TCP');
    if (s.type !== 'ExternalName') setDefault(port, 'targetPort', port.port);
  }
  if (s.type !== 'ExternalName') setDefault(s, 'internalTrafficPolicy', 'Cluster');
  if (s.type === 'NodePort' || s.type === 'LoadBalancer')
    setDefault(s, 'externalTrafficPolicy', 'Cluster');
  if (s.type === 'LoadBalancer') setDefault(s, 'allocateLoadBalancerNodePorts', true);
}

/** An update that leaves clusterIP or node ports out keeps the allocated ones, as Kubernetes does. */
function keepServiceAllocations(next: KubeObject, prev: KubeObject): void {
  const n = childObject(next, 'spec');
  const p = isPlainObject(prev.spec) ? prev.spec : {};
  if (n.type === 'ExternalName') return;
  if (!n.clusterIP && p.clusterIP) {
    n.clusterIP = p.clusterIP;
    if (!n.clusterIPs && p.clusterIPs) n.clusterIPs = p.clusterIPs;
  }
  for (const key of ['ipFamilies', 'ipFamilyPolicy'])
    if (n[key] === undefined && p[key] !== undefined) n[key] = p[key];
  if (n.type === 'NodePort' || n.type === 'LoadBalancer') {
    const oldPorts = Array.isArray(p.ports) ? (p.ports as JsonObject[]) : [];
    for (const port of Array.isArray(n.ports) ? (n.ports as JsonObject[]) : []) {
      if (!isPlainObject(port) || port.nodePort) continue;
      const same = oldPorts.find(
        (o) => o.port === port.port && (o.protocol ?? 'TCP') === (port.protocol ?? 'TCP'),
      );
      if (same?.nodePort) port.nodePort = same.nodePort;
    }
    if (!n.healthCheckNodePort && p.healthCheckNodePort)
      n.healthCheckNodePort = p.healthCheckNodePort;
  }
}

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const SESSION_AFFINITIES = ['ClientIP', 'None'];
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function validateService(o: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const spec = isPlainObject(o.spec) ? o.spec : {};
  const type = spec.type ?? 'ClusterIP';
  if (!SERVICE_TYPES.includes(String(type)))
    out.push(fieldErrors.notSupported('spec.type', type, SERVICE_TYPES));
  if (
    spec.sessionAffinity !== undefined &&
    !SESSION_AFFINITIES.includes(String(spec.sessionAffinity))
  ) {
    out.push(
      fieldErrors.notSupported('spec.sessionAffinity', spec.sessionAffinity, SESSION_AFFINITIES),
    );
  }
  if (type === 'ExternalName') {
    if (!spec.externalName) out.push(fieldErrors.required('spec.externalName'));
  }
  const ports = entries(spec.ports);
  const headless = spec.clusterIP === 'None';
  if (ports.length === 0 && type !== 'ExternalName' && !headless)
    out.push(fieldErrors.required('spec.ports'));
  const names = new Set<string>();
  const keys = new Set<string>();
  ports.forEach((port, i) => {
    const pf = `spec.ports[${i}]`;
    if (ports.length > 1 && !port.name) out.push(fieldErrors.required(`${pf}.name`));
    if (port.name) {
      if (names.has(String(port.name))) out.push(fieldErrors.duplicate(`${pf}.name`, port.name));
      names.add(String(port.name));
    }
    if (!validPort(port.port))
      out.push(fieldErrors.invalid(`${pf}.port`, port.port ?? 0, PORT_RANGE_MESSAGE));
    if (port.protocol !== undefined && !PROTOCOLS.includes(String(port.protocol))) {
      out.push(fieldErrors.notSupported(`${pf}.protocol`, port.protocol, PROTOCOLS));
    }
    const key = `${port.port}/${port.protocol ?? 'TCP'}`;
    if (keys.has(key))
      out.push(fieldErrors.duplicate(pf, { port: port.port, protocol: port.protocol ?? 'TCP' }));
    keys.add(key);
    const target = port.targetPort;
    if (typeof target === 'number' && !validPort(target)) {
      out.push(fieldErrors.invalid(`${pf}.targetPort`, target, PORT_RANGE_MESSAGE));
    } else if (
      typeof target === 'string' &&
      !(target.length <= 15 && IANA_SVC_NAME.test(target) && /[a-z]/.test(target))
    ) {
      out.push(
        fieldErrors.invalid(
          `${pf}.targetPort`,
          target,
          'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        ),
      );
    }
    if (
      port.nodePort !== undefined &&
      port.nodePort !== 0 &&
      type !== 'NodePort' &&
      type !== 'LoadBalancer'
    ) {
      out.push(
        fieldErrors.forbidden(
          `${pf}.nodePort`,
          `may not be used when \`type\` is '${String(type)}'`,
        ),
      );
    }
  });
  if (isPlainObject(spec.selector)) validateLabels(spec.selector, 'spec.selector', out);
  const ip = spec.clusterIP;
  if (
    typeof ip === 'string' &&
    ip !== '' &&
    ip !== 'None' &&
    !/^(\d{1,3}\.){3}\d{1,3}$|:/.test(ip)
  ) {
    out.push(
      fieldErrors.invalid(
        'spec.clusterIPs[0]',
        ip,
        'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      ),
    );
  }
  return out;
}

function validateServiceUpdate(next: KubeObject, prev: KubeObject): StatusCause[] {
  const before = spec(prev).clusterIP;
  const after = spec(next).clusterIP;
  if (spec(next).type === 'ExternalName') return [];
  if (typeof before === 'string' && before !== '' && after !== before) {
    return [
      fieldErrors.invalid(
        'spec.clusterIPs[0]',
        spec(next).clusterIPs ?? [after ?? ''],
        'may not change once set',
      ),
    ];
  }
  return [];
}

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

/** Protobuf field tables (generated.proto numbers, types.go pointers and omitempty). */
export const SERVICE_PROTOBUF: MessageTable = {
  package: 'k8s.io.api.core.v1',
  messages: {
    Service: ['1 metadata ObjectMeta', '2 spec ServiceSpec', '3 status ServiceStatus'],
    ServiceSpec: [
      '1 ports []ServicePort',
      '2 selector map[string]string',
      '3 clusterIP string',
      '18 clusterIPs []string',
      '4 type string',
      '5 externalIPs []string',
      '7 sessionAffinity string',
      '8 loadBalancerIP string',
      '9 loadBalancerSourceRanges []string',
      '10 externalName string',
      '11 externalTrafficPolicy string',
      '12 healthCheckNodePort int32',
      '13 publishNotReadyAddresses bool',
      '14 sessionAffinityConfig *SessionAffinityConfig',
      '19 ipFamilies []string',
      '17 ipFamilyPolicy *string',
      '20 allocateLoadBalancerNodePorts *bool',
      '21 loadBalancerClass *string',
      '22 internalTrafficPolicy *string',
      '23 trafficDistribution *string',
    ],
    ServicePort: [
      '1 name string',
      '2 protocol string',
      '6 appProtocol *string',
      '3 port! int32',
      '4 targetPort IntOrString',
      '5 nodePort int32',
    ],
    SessionAffinityConfig: ['1 clientIP *ClientIPConfig'],
    ClientIPConfig: ['1 timeoutSeconds *int32'],
    ServiceStatus: ['1 loadBalancer LoadBalancerStatus', '2 conditions []Condition'],
    LoadBalancerStatus: ['1 ingress []LoadBalancerIngress'],
    LoadBalancerIngress: [
      '1 ip string',
      '2 hostname string',
      '3 ipMode *string',
      '4 ports []PortStatus',
    ],
    PortStatus: ['1 port! int32', '2 protocol! string', '3 error *string'],
    ServiceList: ['1 metadata ListMeta', '2 items! []Service'],
  },
};

export const serviceKind: KindModule = {
  resource: resource('', 'Service', 'services', {
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status'],
  }),
  nameRule: 'dns1035-label',
  definitions: {
    [`${CORE}Service`]: {
      description: 'A named abstraction of software service.',
      fields: kindFields({ spec: `#${CORE}ServiceSpec`, status: 'any' }),
      gvk: { group: '', version: 'v1', kind: 'Service' },
    },
    [`${CORE}ServiceSpec`]: {
      description: 'The attributes a user creates on a service.',
      fields: {
        ports: `[]#${CORE}ServicePort`,
        selector: 'map:string',
        clusterIP: 'string',
        clusterIPs: '[]string',
        type: 'string',
        externalIPs: '[]string',
        sessionAffinity: 'string',
        loadBalancerIP: 'string',
        loadBalancerSourceRanges: '[]string',
        externalName: 'string',
        externalTrafficPolicy: 'string',
        healthCheckNodePort: 'integer',
        publishNotReadyAddresses: 'boolean',
        sessionAffinityConfig: 'any',
        ipFamilies: '[]string',
        ipFamilyPolicy: 'string',
        allocateLoadBalancerNodePorts: 'boolean',
        loadBalancerClass: 'string',
        internalTrafficPolicy: 'string',
        trafficDistribution: 'string',
      },
      lists: { ports: { mergeKey: 'port', strategy: 'merge' } },
      listTypes: {
        ports: { type: 'map', keys: ['port', 'protocol'], defaults: { protocol: 'TCP' } },
      },
      atomicMaps: ['selector'],
    },
    [`${CORE}ServicePort`]: {
      description: 'A port a service exposes.',
      fields: {
        name: 'string',
        protocol: 'string',
        appProtocol: 'string',
        port: 'integer',
        targetPort: 'int-or-string',
        nodePort: 'integer',
      },
      required: ['port'],
    },
  },
  defaults: defaultService,
  prepareForCreate(o) {
    o.status = { loadBalancer: {} };
  },
  prepareForUpdate: keepServiceAllocations,
  validate: validateService,
  validateUpdate: validateServiceUpdate,
  printer: servicePrinter,
  protobuf: SERVICE_PROTOBUF,
};
