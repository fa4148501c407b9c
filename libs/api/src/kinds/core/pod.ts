// core/v1 Pod.
import type { MessageTable } from '../../protobuf/schema';
import { age } from '../../age';
import { childObject, defaultPodSpec } from '../../defaults';
import { fieldErrors } from '../../field-errors';
import type { JsonObject, KubeObject } from '../../object';
import { cloneJson, getPath, isPlainObject, jsonEqual } from '../../object';
import { admitPod, podQosClass } from '../../pod-admission';
import type { StatusCause } from '../../status';
import { validatePodSpec } from '../../validate-pod';
import type { KindModule, Printer } from '../kind-module';
import { spec } from '../kind-module';
import { BY_TYPE, CORE, kindFields } from '../meta';
import { AGE, col, created, list, NAME, num, str } from '../printing';
import { resource } from '../resource';

export const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function containers(value: unknown): JsonObject[] {
  return Array.isArray(value) ? (value.filter(isPlainObject) as JsonObject[]) : [];
}

/** The old spec with every field a pod update may change taken from the new one; equal means allowed. */
function podSpecIgnoringMutable(prev: JsonObject, next: JsonObject): JsonObject {
  const out = cloneJson(prev);
  for (const list of ['containers', 'initContainers']) {
    const a = containers(out[list]);
    const b = containers(next[list]);
    if (a.length === b.length) a.forEach((c, i) => (c.image = b[i].image));
  }
  out.activeDeadlineSeconds = next.activeDeadlineSeconds;
  const oldTolerations = Array.isArray(prev.tolerations) ? prev.tolerations : [];
  const newTolerations = Array.isArray(next.tolerations) ? next.tolerations : [];
  if (oldTolerations.every((t) => newTolerations.some((u) => jsonEqual(t, u))))
    out.tolerations = next.tolerations;
  const oldGrace = prev.terminationGracePeriodSeconds;
  if (typeof oldGrace === 'number' && oldGrace < 0 && next.terminationGracePeriodSeconds === 1) {
    out.terminationGracePeriodSeconds = 1;
  }
  return out;
}

function validatePodUpdate(next: KubeObject, prev: KubeObject): StatusCause[] {
  if (jsonEqual(podSpecIgnoringMutable(spec(prev), spec(next)), spec(next))) return [];
  return [fieldErrors.forbidden('spec', POD_UPDATE_FORBIDDEN)];
}

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

/** Protobuf field tables (generated.proto numbers, types.go pointers and omitempty). */
export const POD_PROTOBUF: MessageTable = {
  package: 'k8s.io.api.core.v1',
  messages: {
    Pod: ['1 metadata ObjectMeta', '2 spec PodSpec', '3 status PodStatus'],
    PodStatus: [
      '17 observedGeneration int64',
      '1 phase string',
      '2 conditions []PodCondition',
      '3 message string',
      '4 reason string',
      '11 nominatedNodeName string',
      '5 hostIP string',
      '16 hostIPs []HostIP',
      '6 podIP string',
      '12 podIPs []PodIP',
      '7 startTime *Time',
      '10 initContainerStatuses []ContainerStatus',
      '8 containerStatuses []ContainerStatus',
      '9 qosClass string',
      '13 ephemeralContainerStatuses []ContainerStatus',
      '14 resize string',
      '15 resourceClaimStatuses []PodResourceClaimStatus',
      '18 extendedResourceClaimStatus *PodExtendedResourceClaimStatus',
      '19 allocatedResources map[string]Quantity',
      '20 resources *ResourceRequirements',
      '21 nodeAllocatableResourceClaimStatuses []NodeAllocatableResourceClaimStatus',
      '22 volumeHealth []PodVolumeHealth',
    ],
    PodCondition: [
      '1 type! string',
      '7 observedGeneration int64',
      '2 status! string',
      '3 lastProbeTime Time',
      '4 lastTransitionTime Time',
      '5 reason string',
      '6 message string',
    ],
    HostIP: ['1 ip! string'],
    PodIP: ['1 ip! string'],
    ContainerStatus: [
      '1 name! string',
      '2 state ContainerState',
      '3 lastState ContainerState',
      '4 ready! bool',
      '5 restartCount! int32',
      '6 image! string',
      '7 imageID! string',
      '8 containerID string',
      '9 started *bool',
      '10 allocatedResources map[string]Quantity',
      '11 resources *ResourceRequirements',
      '12 volumeMounts []VolumeMountStatus',
      '13 user *ContainerUser',
      '14 allocatedResourcesStatus []ResourceStatus',
      '15 stopSignal *string',
    ],
    ContainerState: [
      '1 waiting *ContainerStateWaiting',
      '2 running *ContainerStateRunning',
      '3 terminated *ContainerStateTerminated',
    ],
    ContainerStateWaiting: ['1 reason string', '2 message string'],
    ContainerStateRunning: ['1 startedAt Time'],
    ContainerStateTerminated: [
      '1 exitCode! int32',
      '2 signal int32',
      '3 reason string',
      '4 message string',
      '5 startedAt Time',
      '6 finishedAt Time',
      '7 containerID string',
    ],
    VolumeMountStatus: [
      '1 name! string',
      '2 mountPath! string',
      '3 readOnly bool',
      '4 recursiveReadOnly *string',
      '5 volumeStatus *VolumeStatus',
    ],
    VolumeStatus: ['1 image *ImageVolumeStatus'],
    ImageVolumeStatus: ['1 imageRef string'],
    ContainerUser: ['1 linux *LinuxContainerUser'],
    LinuxContainerUser: ['1 uid! int64', '2 gid! int64', '3 supplementalGroups []int64'],
    ResourceStatus: ['1 name! string', '2 resources []ResourceHealth'],
    ResourceHealth: ['1 resourceID! string', '2 health string', '6 message *string'],
    PodResourceClaimStatus: ['1 name! string', '2 resourceClaimName *string'],
    PodExtendedResourceClaimStatus: [
      '1 requestMappings! []ContainerExtendedResourceRequest',
      '2 resourceClaimName! string',
    ],
    ContainerExtendedResourceRequest: [
      '1 containerName! string',
      '2 resourceName! string',
      '3 requestName! string',
    ],
    NodeAllocatableResourceClaimStatus: [
      '1 resourceClaimName! string',
      '2 containers []string',
      '4 mapping []NodeAllocatableMappedResources',
      '5 overhead []NodeAllocatableOverheadResources',
    ],
    NodeAllocatableMappedResources: ['1 name! string', '2 quantity! *Quantity'],
    NodeAllocatableOverheadResources: [
      '1 name! string',
      '2 perPod *Quantity',
      '3 perContainer *Quantity',
    ],
    PodVolumeHealth: [
      '1 name! string',
      '2 healthConditions []VolumeHealthCondition',
      '3 lastTransitionTime Time',
    ],
    VolumeHealthCondition: ['1 status! string', '2 reason! string', '3 message string'],
    PodList: ['1 metadata ListMeta', '2 items! []Pod'],
  },
};

export const podKind: KindModule = {
  resource: resource('', 'Pod', 'pods', {
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['status', 'binding', 'eviction', 'log', 'exec', 'attach', 'portforward'],
  }),
  definitions: {
    [`${CORE}Pod`]: {
      description: 'A collection of containers that can run on a host.',
      fields: kindFields({ spec: `#${CORE}PodSpec`, status: 'any' }),
      gvk: { group: '', version: 'v1', kind: 'Pod' },
      statusLists: { conditions: BY_TYPE },
    },
  },
  selectableFields: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  fieldValue: (o, field) =>
    field === 'spec.hostNetwork' && getPath(o, field) == null ? 'false' : undefined,
  defaults: (o) => defaultPodSpec(childObject(o, 'spec'), true),
  prepareForCreate(o, ctx) {
    const s = childObject(o, 'spec');
    admitPod(s, ctx.tolerationSeconds);
    o.status = { phase: 'Pending', qosClass: podQosClass(s) };
  },
  validate: (o) => validatePodSpec(o.spec, 'spec'),
  validateUpdate: validatePodUpdate,
  printer: podPrinter,
  protobuf: POD_PROTOBUF,
};
