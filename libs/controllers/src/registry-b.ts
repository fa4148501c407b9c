// Part B's controllers for the controller manager: node lifecycle, node IPAM, EndpointSlice,
// Endpoints, namespace and pod GC, by kube-controller-manager's names, with the flags each reads.
// A flag is checked by the same reader the controller uses, so the master refuses at start-up
// exactly the values the controller would refuse.
import type { ControllerFactory, ControllerFlag } from './controller';
import { EndpointsController } from './endpoints/endpoints-controller';
import {
  EndpointSliceController,
  endpointSliceSettings,
} from './endpointslice/endpointslice-controller';
import { formatDuration } from './flag-values';
import { namespaceSettings, NamespaceController } from './namespace/namespace-controller';
import {
  NODE_IPAM_DEFAULTS,
  NodeIpamController,
  nodeIpamSettings,
} from './node-ipam/node-ipam-controller';
import { NodeLifecycleController } from './node-lifecycle/node-lifecycle-controller';
import { NODE_LIFECYCLE_DEFAULTS, nodeLifecycleSettings } from './node-lifecycle/settings';
import { PodGcController, podGcSettings } from './podgc/podgc-controller';
import { FlagValues } from './flag-values';

type Reader = (flags: ReadonlyMap<string, string>) => unknown;

function flag(
  reader: Reader,
  name: string,
  valueName: string,
  defaultValue: string,
  description: string,
): ControllerFlag {
  return {
    flag: name,
    valueName,
    description,
    default: defaultValue,
    check(value) {
      reader(new Map([[name, value]]));
    },
  };
}

const L = NODE_LIFECYCLE_DEFAULTS;
const lifecycle = (name: string, valueName: string, def: string, description: string) =>
  flag(nodeLifecycleSettings, name, valueName, def, description);

export const NODE_LIFECYCLE_FLAGS: readonly ControllerFlag[] = [
  lifecycle(
    'node-monitor-period',
    'DURATION',
    formatDuration(L.monitorPeriodMs),
    'how often node health is checked',
  ),
  lifecycle(
    'node-monitor-grace-period',
    'DURATION',
    formatDuration(L.gracePeriodMs),
    'a node silent this long (no Lease renewal, no status) becomes Unknown and unreachable',
  ),
  lifecycle(
    'node-startup-grace-period',
    'DURATION',
    formatDuration(L.startupGracePeriodMs),
    'how long a new node may stay silent before it is Unknown',
  ),
  lifecycle(
    'node-eviction-rate',
    'RATE',
    String(L.evictionRate),
    'nodes per second per zone tainted NoExecute (healthy zone)',
  ),
  lifecycle(
    'secondary-node-eviction-rate',
    'RATE',
    String(L.secondaryEvictionRate),
    'nodes per second tainted NoExecute in a partly disrupted large zone',
  ),
  lifecycle(
    'large-cluster-size-threshold',
    'N',
    String(L.largeClusterThreshold),
    'zones with more nodes than this use the secondary rate when partly disrupted (0 when smaller)',
  ),
  lifecycle(
    'unhealthy-zone-threshold',
    'FRACTION',
    String(L.unhealthyZoneThreshold),
    'share of not-ready nodes (at least 3) that makes a zone partly disrupted',
  ),
];

const ipam = (name: string, valueName: string, def: string, description: string) =>
  flag(nodeIpamSettings, name, valueName, def, description);

export const NODE_IPAM_FLAGS: readonly ControllerFlag[] = [
  ipam(
    'allocate-node-cidrs',
    'BOOL',
    String(NODE_IPAM_DEFAULTS.allocate),
    'give every node a pod range',
  ),
  ipam(
    'cluster-cidr',
    'CIDR',
    NODE_IPAM_DEFAULTS.clusterCidr,
    'the IPv4 range pod ranges are cut from',
  ),
  ipam(
    'node-cidr-mask-size',
    'BITS',
    String(NODE_IPAM_DEFAULTS.nodeMaskSize),
    "prefix length of each node's pod range",
  ),
];

export const ENDPOINTSLICE_FLAGS: readonly ControllerFlag[] = [
  flag(
    endpointSliceSettings,
    'max-endpoints-per-slice',
    'N',
    '100',
    'endpoints per EndpointSlice (1-1000)',
  ),
  flag(
    endpointSliceSettings,
    'concurrent-service-endpoint-syncs',
    'N',
    '5',
    'Services whose EndpointSlices are synced at once',
  ),
];

const endpointsWorkers: Reader = (flags) =>
  new FlagValues(flags).integer('concurrent-endpoint-syncs', 5, 1);

export const ENDPOINTS_FLAGS: readonly ControllerFlag[] = [
  flag(
    endpointsWorkers,
    'concurrent-endpoint-syncs',
    'N',
    '5',
    'Services whose Endpoints are synced at once',
  ),
];

export const NAMESPACE_FLAGS: readonly ControllerFlag[] = [
  flag(namespaceSettings, 'concurrent-namespace-syncs', 'N', '10', 'namespaces emptied at once'),
  flag(
    namespaceSettings,
    'namespace-sync-period',
    'DURATION',
    '5m0s',
    'how often terminating namespaces are looked at again',
  ),
];

export const PODGC_FLAGS: readonly ControllerFlag[] = [
  flag(
    podGcSettings,
    'terminated-pod-gc-threshold',
    'N',
    '12500',
    'finished pods kept before the oldest are deleted (0: no limit)',
  ),
];

export const CONTROLLER_FACTORIES_B: readonly ControllerFactory[] = Object.freeze([
  {
    name: 'nodelifecycle',
    enabledByDefault: true,
    flags: NODE_LIFECYCLE_FLAGS,
    create: () => new NodeLifecycleController(),
  },
  {
    name: 'nodeipam',
    enabledByDefault: true,
    flags: NODE_IPAM_FLAGS,
    create: () => new NodeIpamController(),
  },
  {
    name: 'endpointslice',
    enabledByDefault: true,
    flags: ENDPOINTSLICE_FLAGS,
    create: () => new EndpointSliceController(),
  },
  {
    name: 'endpoint',
    enabledByDefault: true,
    flags: ENDPOINTS_FLAGS,
    create: () => new EndpointsController(),
  },
  {
    name: 'namespace',
    enabledByDefault: true,
    flags: NAMESPACE_FLAGS,
    create: () => new NamespaceController(),
  },
  {
    name: 'podgc',
    enabledByDefault: true,
    flags: PODGC_FLAGS,
    create: () => new PodGcController(),
  },
]);
