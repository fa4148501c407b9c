// The pod's status as Kubernetes computes it in the kubelet (generateAPIPodStatus): container
// statuses from the runtime's instances and the kubelet's own notes (why a container is waiting),
// readiness and startup from the probes, the phase, the conditions, the IPs. Pure.
import { initContainers, shouldRestart } from '../pod/pod-facts';
import { qosClass } from '../pod/resources';
import type { ContainerInstance, PodRuntimeView } from '../pod/runtime-view';
import { instancesOf } from '../pod/runtime-view';
import type {
  Container,
  ContainerState,
  ContainerStatus,
  Pod,
  PodCondition,
  PodPhase,
  PodStatus,
} from '../pod/types';
import { rfc3339 } from '../util/clock';

/** Why a container is waiting, as the last sync found (the kubelet's reason cache). */
export interface WaitingNote {
  reason: string;
  message: string;
}

export interface StatusInput {
  pod: Pod;
  view: PodRuntimeView;
  /** By container name; init and app container names are unique within a pod. */
  notes: ReadonlyMap<string, WaitingNote>;
  /** Readiness probe results by container id (absent: not yet known). */
  readiness: ReadonlyMap<string, boolean>;
  /** Startup probe results by container id. */
  startup: ReadonlyMap<string, boolean>;
  /** containerd, cri-o, fake: the scheme of containerID. */
  runtimeName: string;
  hostIPs: string[];
  now: number;
  /** When the kubelet first took the pod on. */
  startTime: number;
  /** The pod was deleted (or is done) and every container has been stopped. */
  terminal: boolean;
}

function terminatedState(i: ContainerInstance, runtimeName: string): ContainerState {
  return {
    terminated: {
      exitCode: i.exitCode,
      reason: i.reason || (i.exitCode === 0 ? 'Completed' : 'Error'),
      ...(i.message ? { message: i.message } : {}),
      startedAt: i.startedAt ? rfc3339(i.startedAt) : undefined,
      finishedAt: i.finishedAt ? rfc3339(i.finishedAt) : undefined,
      containerID: `${runtimeName}://${i.id}`,
    },
  };
}

function stateOf(i: ContainerInstance, runtimeName: string): ContainerState {
  switch (i.state) {
    case 'running':
      return { running: { startedAt: rfc3339(i.startedAt || i.createdAt) } };
    case 'exited':
      return terminatedState(i, runtimeName);
    default:
      return { waiting: { reason: 'ContainerCreating' } };
  }
}

function displayImage(spec: Container, i: ContainerInstance | undefined): string {
  // The runtime reports the image it ran; an image id alone says less than the spec's name.
  if (i?.image && !i.image.startsWith('sha256:')) return i.image;
  return spec.image ?? '';
}

function containerStatus(
  input: StatusInput,
  spec: Container,
  kind: 'init' | 'app',
  initPending: boolean,
): ContainerStatus {
  const { pod, view, runtimeName } = input;
  const [latest, previous] = instancesOf(view, spec.name, kind);
  const note = input.notes.get(spec.name);
  const status: ContainerStatus = {
    name: spec.name,
    state: {
      waiting: {
        reason: kind === 'app' && initPending ? 'PodInitializing' : 'ContainerCreating',
      },
    },
    lastState: {},
    ready: false,
    restartCount: 0,
    image: displayImage(spec, latest),
    imageID: '',
    started: false,
  };
  if (latest) {
    status.state = stateOf(latest, runtimeName);
    status.imageID = latest.imageRef;
    status.containerID = `${runtimeName}://${latest.id}`;
    status.restartCount = latest.restartCount;
    if (previous?.state === 'exited') status.lastState = terminatedState(previous, runtimeName);
    if (latest.state === 'running') {
      status.started = spec.startupProbe ? input.startup.get(latest.id) === true : true;
      // A running init container is not ready: it has yet to finish.
      status.ready =
        kind === 'app' &&
        status.started &&
        (spec.readinessProbe ? input.readiness.get(latest.id) === true : true);
    } else if (kind === 'init' && latest.state === 'exited' && latest.exitCode === 0) {
      status.ready = true;
    }
  }
  // A container the next sync will start again shows why it is waiting (CrashLoopBackOff,
  // ErrImagePull, ...), its last run moving to lastState.
  const willStart =
    !input.terminal &&
    !pod.metadata.deletionTimestamp &&
    (!latest ||
      (latest.state === 'exited' &&
        !(kind === 'init' && latest.exitCode === 0) &&
        (kind === 'init'
          ? pod.spec.restartPolicy !== 'Never'
          : shouldRestart(pod, latest.exitCode))));
  if (note && willStart) {
    if (status.state.terminated) status.lastState = status.state;
    status.state = {
      waiting: { reason: note.reason, ...(note.message ? { message: note.message } : {}) },
    };
  }
  return status;
}

/** Kubernetes' getPhase over the statuses just computed. */
export function podPhase(
  pod: Pod,
  init: ContainerStatus[],
  apps: ContainerStatus[],
  terminal: boolean,
): PodPhase {
  let pendingInit = 0;
  let failedInit = 0;
  for (const s of init) {
    if (s.state.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state.waiting && s.lastState.terminated) {
      if (s.lastState.terminated.exitCode !== 0) failedInit++;
    } else {
      pendingInit++;
    }
  }
  const policy = pod.spec.restartPolicy ?? 'Always';
  if (failedInit > 0 && policy === 'Never') return 'Failed';

  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of apps) {
    if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state.waiting) {
      if (s.lastState.terminated) stopped++;
      else waiting++;
    }
  }
  if (terminal) {
    // Deleted or finished and nothing runs any more: the pod ends for good.
    return stopped > 0 && stopped === succeeded && waiting === 0 ? 'Succeeded' : 'Failed';
  }
  if (pendingInit > 0 || failedInit > 0 || waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(
  old: PodCondition[] | undefined,
  now: number,
  type: string,
  ok: boolean,
  reason?: string,
  message?: string,
): PodCondition {
  const status = ok ? 'True' : 'False';
  const before = old?.find((c) => c.type === type);
  return {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime:
      before && before.status === status ? before.lastTransitionTime : rfc3339(now),
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

function names(list: ContainerStatus[]): string {
  return `[${list.map((s) => s.name).join(' ')}]`;
}

export function computePodStatus(input: StatusInput): PodStatus {
  const { pod, view, now } = input;
  const old = pod.status;
  const oldConditions = old?.conditions;
  const appsStarted = view.containers.some((c) => c.kind === 'app');
  const initStatuses = initContainers(pod).map((c) => containerStatus(input, c, 'init', false));
  const initDone = appsStarted || initStatuses.every((s) => s.state.terminated?.exitCode === 0);
  const appStatuses = pod.spec.containers.map((c) => containerStatus(input, c, 'app', !initDone));
  const phase = podPhase(pod, initStatuses, appStatuses, input.terminal);

  const [sandbox] = view.sandboxes;
  const hostNetwork = pod.spec.hostNetwork === true;
  let podIPs = hostNetwork
    ? [...input.hostIPs]
    : sandbox && sandbox.state === 'ready' && sandbox.ip
      ? [sandbox.ip, ...sandbox.additionalIps]
      : [];
  // A pod keeps the address it had once its sandbox is gone, as Kubernetes shows it.
  if (podIPs.length === 0 && old?.podIPs?.length) podIPs = old.podIPs.map((p) => p.ip);

  const completed = phase === 'Succeeded';
  const incompleteInit = initStatuses.filter((s) => !s.ready);
  const unready = appStatuses.filter((s) => !s.ready);
  const containersReady = !completed && unready.length === 0;
  const gates = pod.spec.readinessGates ?? [];
  const missingGate = gates.find(
    (g) => !oldConditions?.some((c) => c.type === g.conditionType && c.status === 'True'),
  );
  const notReadyReason = completed ? 'PodCompleted' : 'ContainersNotReady';
  const conditions: PodCondition[] = [
    condition(
      oldConditions,
      now,
      'PodReadyToStartContainers',
      hostNetwork
        ? Boolean(sandbox && sandbox.state === 'ready')
        : podIPs.length > 0 && sandbox?.state === 'ready',
    ),
    condition(
      oldConditions,
      now,
      'Initialized',
      initDone,
      initDone ? undefined : 'ContainersNotInitialized',
      initDone ? undefined : `containers with incomplete status: ${names(incompleteInit)}`,
    ),
    containersReady
      ? condition(oldConditions, now, 'ContainersReady', true)
      : condition(
          oldConditions,
          now,
          'ContainersReady',
          false,
          notReadyReason,
          completed ? undefined : `containers with unready status: ${names(unready)}`,
        ),
  ];
  if (containersReady && !missingGate) {
    conditions.push(condition(oldConditions, now, 'Ready', true));
  } else if (containersReady && missingGate) {
    conditions.push(
      condition(
        oldConditions,
        now,
        'Ready',
        false,
        'ReadinessGatesNotReady',
        `corresponding condition of pod readiness gate "${missingGate.conditionType}" does not exist.`,
      ),
    );
  } else {
    conditions.push(
      condition(
        oldConditions,
        now,
        'Ready',
        false,
        notReadyReason,
        completed ? undefined : `containers with unready status: ${names(unready)}`,
      ),
    );
  }
  const scheduled = oldConditions?.find((c) => c.type === 'PodScheduled');
  conditions.push(scheduled ?? condition(undefined, now, 'PodScheduled', true));
  // kubectl describe lists them in this order, as the kubelet writes them.
  const order = [
    'PodReadyToStartContainers',
    'Initialized',
    'Ready',
    'ContainersReady',
    'PodScheduled',
  ];
  conditions.sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
  // Conditions other components own (readiness gates, DisruptionTarget) are kept as they are.
  const ours = new Set(conditions.map((c) => c.type));
  for (const c of oldConditions ?? []) if (!ours.has(c.type)) conditions.push(c);

  const status: PodStatus = {
    phase,
    conditions,
    hostIP: input.hostIPs[0],
    hostIPs: input.hostIPs.map((ip) => ({ ip })),
    ...(podIPs.length > 0 ? { podIP: podIPs[0], podIPs: podIPs.map((ip) => ({ ip })) } : {}),
    startTime: old?.startTime ?? rfc3339(input.startTime),
    containerStatuses: appStatuses,
    qosClass: old?.qosClass ?? qosClass(pod),
  };
  if (initStatuses.length > 0) status.initContainerStatuses = initStatuses;
  return status;
}
