// What a pod needs next, decided from its spec and what the runtime holds (the kubelet's
// computePodActions): a new sandbox, the next init container, app containers to start, containers
// to kill. Pure; the pod worker carries the decision out.
import { containerHash, initContainers, restartPolicy, shouldRestart } from './pod-facts';
import type { ContainerInstance, PodRuntimeView } from './runtime-view';
import { latestInstance } from './runtime-view';
import type { Container, Pod } from './types';

export interface KillContainer {
  instance: ContainerInstance;
  /** Why, for events and logs. */
  message: string;
}

export interface PodActions {
  /** Stop every container and the sandbox (before a new sandbox, or because the pod is done). */
  killPod: boolean;
  createSandbox: boolean;
  /** Attempt number of the sandbox to create. */
  sandboxAttempt: number;
  /** The ready sandbox to start containers in. */
  sandboxId?: string;
  /** The init container to start next. */
  nextInit?: Container;
  /** An init container failed under restartPolicy Never: the pod has failed. */
  initFailed: boolean;
  startApps: Container[];
  killContainers: KillContainer[];
}

export interface ProbeVerdicts {
  /** Running containers whose liveness or startup probe says restart, with the reason. */
  restart: Map<string, string>;
}

const NO_VERDICTS: ProbeVerdicts = { restart: new Map() };

function succeeded(i: ContainerInstance | undefined): boolean {
  return i?.state === 'exited' && i.exitCode === 0;
}

/** The init container to run next; done when every one has succeeded. */
function initProgress(
  pod: Pod,
  view: PodRuntimeView,
): { done: boolean; running: boolean; next?: Container; failed?: Container } {
  for (const c of initContainers(pod)) {
    const latest = latestInstance(view, c.name, 'init');
    if (succeeded(latest)) continue;
    if (latest?.state === 'running') return { done: false, running: true };
    if (latest?.state === 'exited') return { done: false, running: false, failed: c, next: c };
    return { done: false, running: false, next: c };
  }
  return { done: true, running: false };
}

/** Whether the sandbox must be (re)made: none, not ready, or more than one ready. */
function sandboxChanged(view: PodRuntimeView): boolean {
  const [latest] = view.sandboxes;
  if (!latest || latest.state !== 'ready') return true;
  return view.sandboxes.filter((s) => s.state === 'ready').length > 1;
}

/** App containers a fresh sandbox would start: not the ones done for good under the policy. */
function appsToStartFresh(pod: Pod, view: PodRuntimeView): Container[] {
  return pod.spec.containers.filter((c) => {
    const latest = latestInstance(view, c.name, 'app');
    if (!latest || latest.state !== 'exited') return true;
    return shouldRestart(pod, latest.exitCode);
  });
}

export function computePodActions(
  pod: Pod,
  view: PodRuntimeView,
  verdicts: ProbeVerdicts = NO_VERDICTS,
): PodActions {
  const actions: PodActions = {
    killPod: false,
    createSandbox: false,
    sandboxAttempt: 0,
    initFailed: false,
    startApps: [],
    killContainers: [],
  };
  const [latestSandbox] = view.sandboxes;

  if (sandboxChanged(view)) {
    const attempt = latestSandbox ? latestSandbox.metadata.attempt + 1 : 0;
    actions.killPod = view.sandboxes.some((s) => s.state === 'ready');
    // A pod that ran under restartPolicy Never does not get a second sandbox.
    if (restartPolicy(pod) === 'Never' && latestSandbox && view.containers.length > 0) {
      return actions;
    }
    const init = initContainers(pod);
    const apps = appsToStartFresh(pod, view);
    if (init.length === 0 && apps.length === 0) return actions;
    actions.createSandbox = true;
    actions.sandboxAttempt = attempt;
    if (init.length > 0) actions.nextInit = init[0];
    else actions.startApps = apps;
    return actions;
  }

  actions.sandboxId = latestSandbox.id;
  const init = initProgress(pod, view);
  if (!init.done) {
    if (init.failed && restartPolicy(pod) === 'Never') {
      actions.initFailed = true;
      actions.killPod = true;
      return actions;
    }
    if (!init.running) actions.nextInit = init.next;
    return actions;
  }

  let keep = 0;
  for (const c of pod.spec.containers) {
    const latest = latestInstance(view, c.name, 'app');
    if (!latest || latest.state === 'created' || latest.state === 'unknown') {
      if (!latest || shouldRestart(pod, 1)) actions.startApps.push(c);
      continue;
    }
    if (latest.state === 'exited') {
      if (shouldRestart(pod, latest.exitCode)) actions.startApps.push(c);
      continue;
    }
    // running
    const restartWhy =
      latest.hash && latest.hash !== containerHash(c)
        ? `Container ${c.name} definition changed, will be restarted`
        : verdicts.restart.get(latest.id);
    if (restartWhy !== undefined) {
      actions.killContainers.push({ instance: latest, message: restartWhy });
      if (shouldRestart(pod, 1)) actions.startApps.push(c);
      continue;
    }
    keep++;
  }
  // Nothing running and nothing to start: the pod is done, its sandbox can go.
  if (keep === 0 && actions.startApps.length === 0) actions.killPod = true;
  return actions;
}
