// What the runtime holds for one pod: its sandboxes and container instances, newest first, with the
// kubelet's annotations read back (which spec container, which list, its hash and restart count).
import {
  ANNOTATION_CONTAINER_HASH,
  ANNOTATION_CONTAINER_KIND,
  ANNOTATION_RESTART_COUNT,
  LABEL_CONTAINER_NAME,
  LABEL_MANAGED,
  LABEL_POD_UID,
  MANAGED_BY,
} from '../runtime/labels';
import type { ContainerRuntime, ContainerStatus, SandboxStatus } from '../runtime/runtime';

export interface ContainerInstance extends ContainerStatus {
  sandboxId: string;
  /** The spec container's name. */
  name: string;
  kind: 'init' | 'app';
  hash: string;
  restartCount: number;
}

export interface PodRuntimeView {
  /** Newest first. */
  sandboxes: SandboxStatus[];
  /** Newest first. */
  containers: ContainerInstance[];
}

export const EMPTY_VIEW: PodRuntimeView = { sandboxes: [], containers: [] };

export function instanceFromStatus(status: ContainerStatus, sandboxId: string): ContainerInstance {
  const a = status.annotations;
  return {
    ...status,
    sandboxId,
    name: status.labels[LABEL_CONTAINER_NAME] ?? status.metadata.name,
    kind: a[ANNOTATION_CONTAINER_KIND] === 'init' ? 'init' : 'app',
    hash: a[ANNOTATION_CONTAINER_HASH] ?? '',
    restartCount: Number(a[ANNOTATION_RESTART_COUNT] ?? status.metadata.attempt) || 0,
  };
}

/** Instances of one spec container, newest first. */
export function instancesOf(
  view: PodRuntimeView,
  name: string,
  kind: 'init' | 'app',
): ContainerInstance[] {
  return view.containers.filter((c) => c.name === name && c.kind === kind);
}

export function latestInstance(
  view: PodRuntimeView,
  name: string,
  kind: 'init' | 'app',
): ContainerInstance | undefined {
  return instancesOf(view, name, kind)[0];
}

/** Reads one pod's view from the runtime (sandboxes and containers labelled with its uid). */
export async function readPodView(runtime: ContainerRuntime, uid: string): Promise<PodRuntimeView> {
  const selector = { [LABEL_POD_UID]: uid, [LABEL_MANAGED]: MANAGED_BY };
  const [sandboxList, containerList] = await Promise.all([
    runtime.listSandboxes(selector),
    runtime.listContainers({ labels: selector }),
  ]);
  const sandboxes = (await Promise.all(sandboxList.map((s) => runtime.sandboxStatus(s.id)))).filter(
    (s): s is SandboxStatus => s !== undefined,
  );
  const containers: ContainerInstance[] = [];
  await Promise.all(
    containerList.map(async (c) => {
      const status = await runtime.containerStatus(c.id);
      if (status) containers.push(instanceFromStatus(status, c.sandboxId));
    }),
  );
  sandboxes.sort((a, b) => b.createdAt - a.createdAt || b.metadata.attempt - a.metadata.attempt);
  containers.sort((a, b) => b.createdAt - a.createdAt || b.restartCount - a.restartCount);
  return { sandboxes, containers };
}
