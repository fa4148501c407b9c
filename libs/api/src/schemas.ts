// The field model of each served kind: one source for OpenAPI v3 schemas and for unknown-field detection.
// A field type is a short string: 'string' | 'integer' | 'boolean' | 'number' | 'time' | 'int-or-string' |
// 'quantity' | 'any' (an object we do not model: unknown fields inside are preserved) | 'map:<type>' |
// '[]<type>' | '#<Definition>' (a reference to another definition below).

import { PRIORITY_CLASS_SCHEMA } from './priority-class';
import { RBAC_SCHEMAS } from './rbac';

export interface Definition {
  description: string;
  fields: Record<string, string>;
  required?: string[];
  /** Set on top-level kinds: { group, version, kind }. */
  gvk?: { group: string; version: string; kind: string };
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const CORE = 'io.k8s.api.core.v1.';
const APPS = 'io.k8s.api.apps.v1.';
const DISCOVERY = 'io.k8s.api.discovery.v1.';
const COORD = 'io.k8s.api.coordination.v1.';
const EVENTS = 'io.k8s.api.events.v1.';
const SCHEDULING = 'io.k8s.api.scheduling.v1.';

/** The fields every top-level kind has. */
function kindFields(extra: Record<string, string>): Record<string, string> {
  return { apiVersion: 'string', kind: 'string', metadata: `#${META}ObjectMeta`, ...extra };
}

const VOLUME_SOURCES = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
];

const defs: Record<string, Definition> = {
  [`${META}ObjectMeta`]: {
    description: 'Standard object metadata.',
    fields: {
      name: 'string',
      generateName: 'string',
      namespace: 'string',
      selfLink: 'string',
      uid: 'string',
      resourceVersion: 'string',
      generation: 'integer',
      creationTimestamp: 'time',
      deletionTimestamp: 'time',
      deletionGracePeriodSeconds: 'integer',
      labels: 'map:string',
      annotations: 'map:string',
      ownerReferences: `[]#${META}OwnerReference`,
      finalizers: '[]string',
      managedFields: '[]any',
    },
  },
  [`${META}OwnerReference`]: {
    description: 'Identifies an owning object.',
    fields: {
      apiVersion: 'string',
      kind: 'string',
      name: 'string',
      uid: 'string',
      controller: 'boolean',
      blockOwnerDeletion: 'boolean',
    },
    required: ['apiVersion', 'kind', 'name', 'uid'],
  },
  [`${META}LabelSelector`]: {
    description: 'A label query over a set of resources.',
    fields: { matchLabels: 'map:string', matchExpressions: `[]#${META}LabelSelectorRequirement` },
  },
  [`${META}LabelSelectorRequirement`]: {
    description: 'A selector requirement: a key, an operator and values.',
    fields: { key: 'string', operator: 'string', values: '[]string' },
    required: ['key', 'operator'],
  },

  [`${CORE}Pod`]: {
    description: 'A collection of containers that can run on a host.',
    fields: kindFields({ spec: `#${CORE}PodSpec`, status: 'any' }),
    gvk: { group: '', version: 'v1', kind: 'Pod' },
  },
  [`${CORE}PodTemplateSpec`]: {
    description: 'Data a pod should have when created from a template.',
    fields: { metadata: `#${META}ObjectMeta`, spec: `#${CORE}PodSpec` },
  },
  [`${CORE}PodSpec`]: {
    description: 'The specification of a pod.',
    fields: {
      volumes: `[]#${CORE}Volume`,
      initContainers: `[]#${CORE}Container`,
      containers: `[]#${CORE}Container`,
      ephemeralContainers: '[]any',
      restartPolicy: 'string',
      terminationGracePeriodSeconds: 'integer',
      activeDeadlineSeconds: 'integer',
      dnsPolicy: 'string',
      nodeSelector: 'map:string',
      serviceAccountName: 'string',
      serviceAccount: 'string',
      automountServiceAccountToken: 'boolean',
      nodeName: 'string',
      hostNetwork: 'boolean',
      hostPID: 'boolean',
      hostIPC: 'boolean',
      shareProcessNamespace: 'boolean',
      securityContext: 'any',
      imagePullSecrets: `[]#${CORE}LocalObjectReference`,
      hostname: 'string',
      subdomain: 'string',
      affinity: 'any',
      schedulerName: 'string',
      tolerations: `[]#${CORE}Toleration`,
      hostAliases: '[]any',
      priorityClassName: 'string',
      priority: 'integer',
      dnsConfig: 'any',
      readinessGates: '[]any',
      runtimeClassName: 'string',
      enableServiceLinks: 'boolean',
      preemptionPolicy: 'string',
      overhead: 'map:quantity',
      topologySpreadConstraints: '[]any',
      setHostnameAsFQDN: 'boolean',
      os: 'any',
      hostUsers: 'boolean',
      schedulingGates: '[]any',
      resourceClaims: '[]any',
      resources: 'any',
    },
    required: ['containers'],
  },
  [`${CORE}Container`]: {
    description: 'A single application container to run within a pod.',
    fields: {
      name: 'string',
      image: 'string',
      command: '[]string',
      args: '[]string',
      workingDir: 'string',
      ports: `[]#${CORE}ContainerPort`,
      envFrom: '[]any',
      env: `[]#${CORE}EnvVar`,
      resources: `#${CORE}ResourceRequirements`,
      resizePolicy: '[]any',
      restartPolicy: 'string',
      volumeMounts: `[]#${CORE}VolumeMount`,
      volumeDevices: '[]any',
      livenessProbe: `#${CORE}Probe`,
      readinessProbe: `#${CORE}Probe`,
      startupProbe: `#${CORE}Probe`,
      lifecycle: 'any',
      terminationMessagePath: 'string',
      terminationMessagePolicy: 'string',
      imagePullPolicy: 'string',
      securityContext: 'any',
      stdin: 'boolean',
      stdinOnce: 'boolean',
      tty: 'boolean',
    },
    required: ['name'],
  },
  [`${CORE}ContainerPort`]: {
    description: 'A network port in a single container.',
    fields: {
      name: 'string',
      hostPort: 'integer',
      containerPort: 'integer',
      protocol: 'string',
      hostIP: 'string',
    },
    required: ['containerPort'],
  },
  [`${CORE}EnvVar`]: {
    description: 'An environment variable present in a container.',
    fields: { name: 'string', value: 'string', valueFrom: 'any' },
    required: ['name'],
  },
  [`${CORE}ResourceRequirements`]: {
    description: 'Compute resource requirements.',
    fields: { limits: 'map:quantity', requests: 'map:quantity', claims: '[]any' },
  },
  [`${CORE}VolumeMount`]: {
    description: 'A mounting of a volume within a container.',
    fields: {
      name: 'string',
      readOnly: 'boolean',
      recursiveReadOnly: 'string',
      mountPath: 'string',
      subPath: 'string',
      mountPropagation: 'string',
      subPathExpr: 'string',
    },
    required: ['name', 'mountPath'],
  },
  [`${CORE}Probe`]: {
    description: 'A health check performed against a container.',
    fields: {
      exec: 'any',
      httpGet: 'any',
      tcpSocket: 'any',
      grpc: 'any',
      initialDelaySeconds: 'integer',
      timeoutSeconds: 'integer',
      periodSeconds: 'integer',
      successThreshold: 'integer',
      failureThreshold: 'integer',
      terminationGracePeriodSeconds: 'integer',
    },
  },
  [`${CORE}Volume`]: {
    description: 'A named volume in a pod.',
    fields: { name: 'string', ...Object.fromEntries(VOLUME_SOURCES.map((s) => [s, 'any'])) },
    required: ['name'],
  },
  [`${CORE}Toleration`]: {
    description: 'Tolerates any taint that matches the triple <key,value,effect>.',
    fields: {
      key: 'string',
      operator: 'string',
      value: 'string',
      effect: 'string',
      tolerationSeconds: 'integer',
    },
  },
  [`${CORE}LocalObjectReference`]: {
    description: 'A reference to an object in the same namespace.',
    fields: { name: 'string' },
  },
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
  [`${CORE}Namespace`]: {
    description: 'A scope for names.',
    fields: kindFields({ spec: `#${CORE}NamespaceSpec`, status: 'any' }),
    gvk: { group: '', version: 'v1', kind: 'Namespace' },
  },
  [`${CORE}NamespaceSpec`]: {
    description: 'Namespace attributes.',
    fields: { finalizers: '[]string' },
  },
  [`${CORE}Node`]: {
    description: 'A worker node.',
    fields: kindFields({ spec: `#${CORE}NodeSpec`, status: 'any' }),
    gvk: { group: '', version: 'v1', kind: 'Node' },
  },
  [`${CORE}NodeSpec`]: {
    description: 'Node attributes.',
    fields: {
      podCIDR: 'string',
      podCIDRs: '[]string',
      providerID: 'string',
      unschedulable: 'boolean',
      taints: `[]#${CORE}Taint`,
      configSource: 'any',
      externalID: 'string',
    },
  },
  [`${CORE}Taint`]: {
    description: 'A taint on a node.',
    fields: { key: 'string', value: 'string', effect: 'string', timeAdded: 'time' },
    required: ['key', 'effect'],
  },
  [`${CORE}ConfigMap`]: {
    description: 'Configuration data for pods.',
    fields: kindFields({ data: 'map:string', binaryData: 'map:string', immutable: 'boolean' }),
    gvk: { group: '', version: 'v1', kind: 'ConfigMap' },
  },
  [`${CORE}Secret`]: {
    description: 'Secret data.',
    fields: kindFields({
      data: 'map:string',
      stringData: 'map:string',
      type: 'string',
      immutable: 'boolean',
    }),
    gvk: { group: '', version: 'v1', kind: 'Secret' },
  },
  [`${CORE}ServiceAccount`]: {
    description: 'An identity for processes in pods.',
    fields: kindFields({
      secrets: '[]any',
      imagePullSecrets: `[]#${CORE}LocalObjectReference`,
      automountServiceAccountToken: 'boolean',
    }),
    gvk: { group: '', version: 'v1', kind: 'ServiceAccount' },
  },
  [`${CORE}Endpoints`]: {
    description: 'The endpoints that implement a service.',
    fields: kindFields({ subsets: `[]#${CORE}EndpointSubset` }),
    gvk: { group: '', version: 'v1', kind: 'Endpoints' },
  },
  [`${CORE}EndpointSubset`]: {
    description: 'A group of addresses with a common set of ports.',
    fields: {
      addresses: `[]#${CORE}EndpointAddress`,
      notReadyAddresses: `[]#${CORE}EndpointAddress`,
      ports: `[]#${CORE}EndpointPort`,
    },
  },
  [`${CORE}EndpointAddress`]: {
    description: 'A single IP address.',
    fields: { ip: 'string', hostname: 'string', nodeName: 'string', targetRef: 'any' },
    required: ['ip'],
  },
  [`${CORE}EndpointPort`]: {
    description: 'A port of an endpoint.',
    fields: { name: 'string', port: 'integer', protocol: 'string', appProtocol: 'string' },
    required: ['port'],
  },
  [`${CORE}Event`]: {
    description: 'A report of an event somewhere in the cluster.',
    fields: kindFields({
      involvedObject: 'any',
      reason: 'string',
      message: 'string',
      source: 'any',
      firstTimestamp: 'time',
      lastTimestamp: 'time',
      count: 'integer',
      type: 'string',
      eventTime: 'time',
      series: 'any',
      action: 'string',
      related: 'any',
      reportingComponent: 'string',
      reportingInstance: 'string',
    }),
    gvk: { group: '', version: 'v1', kind: 'Event' },
  },

  [`${APPS}Deployment`]: {
    description: 'Declarative updates for pods and replica sets.',
    fields: kindFields({ spec: `#${APPS}DeploymentSpec`, status: 'any' }),
    gvk: { group: 'apps', version: 'v1', kind: 'Deployment' },
  },
  [`${APPS}DeploymentSpec`]: {
    description: 'The desired behavior of a deployment.',
    fields: {
      replicas: 'integer',
      selector: `#${META}LabelSelector`,
      template: `#${CORE}PodTemplateSpec`,
      strategy: `#${APPS}DeploymentStrategy`,
      minReadySeconds: 'integer',
      revisionHistoryLimit: 'integer',
      paused: 'boolean',
      progressDeadlineSeconds: 'integer',
    },
    required: ['selector', 'template'],
  },
  [`${APPS}DeploymentStrategy`]: {
    description: 'How to replace existing pods with new ones.',
    fields: { type: 'string', rollingUpdate: `#${APPS}RollingUpdateDeployment` },
  },
  [`${APPS}RollingUpdateDeployment`]: {
    description: 'The parameters of a rolling update.',
    fields: { maxUnavailable: 'int-or-string', maxSurge: 'int-or-string' },
  },
  [`${APPS}ReplicaSet`]: {
    description: 'Ensures that a number of pod replicas are running.',
    fields: kindFields({ spec: `#${APPS}ReplicaSetSpec`, status: 'any' }),
    gvk: { group: 'apps', version: 'v1', kind: 'ReplicaSet' },
  },
  [`${APPS}ReplicaSetSpec`]: {
    description: 'The desired behavior of a replica set.',
    fields: {
      replicas: 'integer',
      minReadySeconds: 'integer',
      selector: `#${META}LabelSelector`,
      template: `#${CORE}PodTemplateSpec`,
    },
    required: ['selector'],
  },

  [`${DISCOVERY}EndpointSlice`]: {
    description: 'A subset of the endpoints that implement a service.',
    fields: kindFields({
      addressType: 'string',
      endpoints: `[]#${DISCOVERY}Endpoint`,
      ports: `[]#${DISCOVERY}EndpointPort`,
    }),
    required: ['addressType', 'endpoints'],
    gvk: { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' },
  },
  [`${DISCOVERY}Endpoint`]: {
    description: 'A single logical backend.',
    fields: {
      addresses: '[]string',
      conditions: `#${DISCOVERY}EndpointConditions`,
      hostname: 'string',
      targetRef: 'any',
      deprecatedTopology: 'map:string',
      nodeName: 'string',
      zone: 'string',
      hints: 'any',
    },
    required: ['addresses'],
  },
  [`${DISCOVERY}EndpointConditions`]: {
    description: 'The current condition of an endpoint.',
    fields: { ready: 'boolean', serving: 'boolean', terminating: 'boolean' },
  },
  [`${DISCOVERY}EndpointPort`]: {
    description: 'A port used by an endpoint slice.',
    fields: { name: 'string', protocol: 'string', port: 'integer', appProtocol: 'string' },
  },

  [`${COORD}Lease`]: {
    description: 'A lease concept.',
    fields: kindFields({ spec: `#${COORD}LeaseSpec` }),
    gvk: { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' },
  },
  [`${COORD}LeaseSpec`]: {
    description: 'The specification of a lease.',
    fields: {
      holderIdentity: 'string',
      leaseDurationSeconds: 'integer',
      acquireTime: 'time',
      renewTime: 'time',
      leaseTransitions: 'integer',
      strategy: 'string',
      preferredHolder: 'string',
    },
  },

  [`${EVENTS}Event`]: {
    description: 'A report of an event somewhere in the cluster.',
    fields: kindFields({
      eventTime: 'time',
      series: 'any',
      reportingController: 'string',
      reportingInstance: 'string',
      action: 'string',
      reason: 'string',
      regarding: 'any',
      related: 'any',
      note: 'string',
      type: 'string',
      deprecatedSource: 'any',
      deprecatedFirstTimestamp: 'time',
      deprecatedLastTimestamp: 'time',
      deprecatedCount: 'integer',
    }),
    gvk: { group: 'events.k8s.io', version: 'v1', kind: 'Event' },
  },

  [`${SCHEDULING}PriorityClass`]: PRIORITY_CLASS_SCHEMA,
  ...RBAC_SCHEMAS,
};

export const DEFINITIONS: Readonly<Record<string, Definition>> = defs;

export function definitionForKind(
  group: string,
  version: string,
  kind: string,
): [string, Definition] | undefined {
  byKind ??= new Map(
    Object.entries(defs)
      .filter(([, def]) => def.gvk)
      .reverse() // the first definition of a kind wins, as a scan in order would find it
      .map(([name, def]) => [gvkKey(def.gvk!.group, def.gvk!.version, def.gvk!.kind), [name, def]]),
  );
  return byKind.get(gvkKey(group, version, kind));
}

/** Definitions by group, version and kind, built on first use. */
let byKind: Map<string, [string, Definition]> | undefined;

function gvkKey(group: string, version: string, kind: string): string {
  return `${group}/${version}/${kind}`;
}

/** The names of all definitions reachable from `root`, `root` included. */
export function reachableDefinitions(root: string): string[] {
  const seen = new Set<string>();
  const stack = [root];
  for (let guard = 0; stack.length > 0 && guard < 10_000; guard++) {
    const name = stack.pop() as string;
    if (seen.has(name) || !defs[name]) continue;
    seen.add(name);
    for (const type of Object.values(defs[name].fields)) {
      const ref = /#(.+)$/.exec(type);
      if (ref) stack.push(ref[1]);
    }
  }
  return [...seen];
}
