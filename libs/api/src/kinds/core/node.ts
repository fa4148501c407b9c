// core/v1 Node.
import { fieldErrors } from '../../field-errors';
import type { KubeObject } from '../../object';
import { getPath, jsonEqual } from '../../object';
import type { StatusCause } from '../../status';
import type { KindModule, Printer } from '../kind-module';
import { spec } from '../kind-module';
import { BY_TYPE, CORE, kindFields } from '../meta';
import { AGE, col, created, list, NAME, str } from '../printing';
import { resource } from '../resource';

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
  definitions: {
    [`${CORE}Node`]: {
      description: 'A worker node.',
      fields: kindFields({ spec: `#${CORE}NodeSpec`, status: 'any' }),
      gvk: { group: '', version: 'v1', kind: 'Node' },
      statusLists: { conditions: BY_TYPE, addresses: BY_TYPE },
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
      listTypes: { podCIDRs: { type: 'set' } },
    },
    [`${CORE}Taint`]: {
      description: 'A taint on a node.',
      fields: { key: 'string', value: 'string', effect: 'string', timeAdded: 'time' },
      required: ['key', 'effect'],
    },
  },
  selectableFields: ['spec.unschedulable'],
  fieldValue: (o, field) =>
    field === 'spec.unschedulable' && getPath(o, field) == null ? 'false' : undefined,
  validateUpdate: validateNodeUpdate,
  printer: nodePrinter,
};
