// core/v1 Node.
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import { getPath, jsonEqual } from '../../object';
import type { StatusCause } from '../../status';
import type { KindModule, Printer } from '../kind-module';
import { spec } from '../kind-module';
import { declareKind } from '../declare';
import { CORE } from '../meta';
import { AGE, col, created, list, NAME, str } from '../printing';
import { resource } from '../resource';

// Field tables: k8s.io/api core/v1 generated.proto numbers, types.go pointers and omitempty
// (10b39a39bcee), declared once for the schema and protobuf (client-go's kubelets send Node
// status as protobuf).
const declared = declareKind({
  group: '',
  version: 'v1',
  kind: 'Node',
  package: 'k8s.io.api.core.v1',
  prefix: CORE,
  descriptions: {
    Node: 'A worker node.',
    NodeSpec: 'Node attributes.',
    NodeStatus: 'The most recently observed status of the node.',
    Taint: 'A taint on a node.',
  },
  messages: {
    Node: ['1 metadata ObjectMeta', '2 spec NodeSpec', '3 status NodeStatus'],
    NodeSpec: [
      '1 podCIDR string',
      '7 podCIDRs []string merge set',
      '3 providerID string',
      '4 unschedulable bool',
      '5 taints []Taint atomic',
      '6 configSource *NodeConfigSource',
      '2 externalID string',
      '8 podPreemptionPolicy *NodePodPreemptionPolicy',
    ],
    NodePodPreemptionPolicy: ['1 disableResizePreemption []string set'],
    Taint: ['1 key! string', '2 value string', '3 effect! string', '4 timeAdded *Time'],
    NodeConfigSource: ['2 configMap *ConfigMapNodeConfigSource'],
    ConfigMapNodeConfigSource: [
      '1 namespace! string',
      '2 name! string',
      '3 uid string',
      '4 resourceVersion string',
      '5 kubeletConfigKey! string',
    ],
    NodeStatus: [
      '1 capacity map[string]Quantity',
      '2 allocatable map[string]Quantity',
      '3 phase string',
      '4 conditions []NodeCondition merge=type map=type',
      '5 addresses []NodeAddress merge=type map=type',
      '6 daemonEndpoints NodeDaemonEndpoints',
      '7 nodeInfo NodeSystemInfo',
      '8 images []ContainerImage atomic',
      '9 volumesInUse []string atomic',
      '10 volumesAttached []AttachedVolume atomic',
      '11 config *NodeConfigStatus',
      '12 runtimeHandlers []NodeRuntimeHandler atomic',
      '13 features *NodeFeatures',
      '14 declaredFeatures []string atomic',
    ],
    NodeCondition: [
      '1 type! string',
      '2 status! string',
      '3 lastHeartbeatTime Time',
      '4 lastTransitionTime Time',
      '5 reason string',
      '6 message string',
    ],
    NodeAddress: ['1 type! string', '2 address! string'],
    NodeDaemonEndpoints: ['1 kubeletEndpoint DaemonEndpoint'],
    // Go's tag names it Port, capitalised, for compatibility with old releases.
    DaemonEndpoint: ['1 Port! int32'],
    NodeSystemInfo: [
      '1 machineID! string',
      '2 systemUUID! string',
      '3 bootID! string',
      '4 kernelVersion! string',
      '5 osImage! string',
      '6 containerRuntimeVersion! string',
      '7 kubeletVersion! string',
      '8 kubeProxyVersion! string',
      '9 operatingSystem! string',
      '10 architecture! string',
      '11 swap *NodeSwapStatus',
    ],
    NodeSwapStatus: ['1 capacity *int64'],
    ContainerImage: ['1 names! []string atomic', '2 sizeBytes int64'],
    AttachedVolume: ['1 name! string', '2 devicePath! string'],
    NodeConfigStatus: [
      '1 assigned *NodeConfigSource',
      '2 active *NodeConfigSource',
      '3 lastKnownGood *NodeConfigSource',
      '4 error string',
    ],
    NodeRuntimeHandler: ['1 name! string', '2 features *NodeRuntimeHandlerFeatures'],
    NodeRuntimeHandlerFeatures: ['1 recursiveReadOnlyMounts *bool', '2 userNamespaces *bool'],
    NodeFeatures: ['1 supplementalGroupsPolicy *bool'],
    NodeList: ['1 metadata ListMeta', '2 items! []Node'],
  },
});

export const POD_CIDR_FORBIDDEN = 'node updates may not change podCIDR except from "" to valid';

/** spec.podCIDRs (or podCIDR alone), once set, as the node IPAM controller allocated it. */
function podCidrs(o: KubeObject): string[] {
  const s = spec(o);
  if (Array.isArray(s.podCIDRs) && s.podCIDRs.length > 0) return s.podCIDRs.map(String);
  return typeof s.podCIDR === 'string' && s.podCIDR !== '' ? [s.podCIDR] : [];
}

/** A node's pod ranges are set once: two allocators can never give one node two ranges. */
function validateNodeUpdate(next: KubeObject, prev: KubeObject): StatusCause[] {
  const before = podCidrs(prev);
  if (before.length === 0 || jsonEqual(before, podCidrs(next))) return [];
  return [fieldErrors.forbidden('spec.podCIDRs', POD_CIDR_FORBIDDEN)];
}

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

export const nodeKind: KindModule = {
  resource: resource('', 'Node', 'nodes', {
    shortNames: ['no'],
    namespaced: false,
    subresources: ['status', 'proxy'],
  }),
  definitions: declared.definitions,
  protobuf: declared.protobuf,
  selectableFields: ['spec.unschedulable'],
  fieldValue: (o, field) =>
    field === 'spec.unschedulable' && getPath(o, field) == null ? 'false' : undefined,
  validateUpdate: validateNodeUpdate,
  printer: nodePrinter,
};
