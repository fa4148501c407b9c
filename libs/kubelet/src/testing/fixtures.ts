// Builders for pods and runtime instances in unit tests.
import type { SandboxStatus } from '../runtime/runtime';
import { containerHash } from '../pod/pod-facts';
import type { ContainerInstance, PodRuntimeView } from '../pod/runtime-view';
import type { Container, Pod, PodSpec } from '../pod/types';

export const T0 = Date.UTC(2030, 0, 1);

export function pod(spec: Partial<PodSpec> = {}, meta: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1', ...meta },
    spec: { containers: [{ name: 'app', image: 'flotilla/demo-web:1' }], ...spec },
  };
}

export function container(name: string, extra: Partial<Container> = {}): Container {
  return { name, image: 'flotilla/demo-web:1', ...extra };
}

let seq = 0;

export function sandbox(
  state: 'ready' | 'notready' = 'ready',
  attempt = 0,
  ip = '10.88.0.2',
): SandboxStatus {
  return {
    id: `sb${attempt}`,
    metadata: { name: 'web', uid: 'uid-1', namespace: 'default', attempt },
    state,
    createdAt: T0 + attempt,
    labels: {},
    annotations: {},
    ip: state === 'ready' ? ip : '',
    additionalIps: [],
  };
}

export function instance(
  spec: Container,
  state: ContainerInstance['state'],
  opts: Partial<ContainerInstance> = {},
): ContainerInstance {
  const restartCount = opts.restartCount ?? 0;
  return {
    id: opts.id ?? `c-${spec.name}-${restartCount}-${seq++}`,
    sandboxId: 'sb0',
    name: spec.name,
    kind: 'app',
    hash: containerHash(spec),
    restartCount,
    metadata: { name: spec.name, attempt: restartCount },
    state,
    createdAt: T0 + 1000 * (restartCount + 1),
    startedAt: state === 'created' ? 0 : T0 + 1000 * (restartCount + 1),
    finishedAt: state === 'exited' ? T0 + 1000 * (restartCount + 1) + 500 : 0,
    exitCode: 0,
    image: spec.image ?? '',
    imageRef: 'docker.io/flotilla/demo-web@sha256:abc',
    reason: state === 'exited' ? ((opts.exitCode ?? 0) === 0 ? 'Completed' : 'Error') : '',
    message: '',
    labels: {},
    annotations: {},
    logPath: '',
    ...opts,
  };
}

export function view(sandboxes: SandboxStatus[], containers: ContainerInstance[]): PodRuntimeView {
  return {
    sandboxes: [...sandboxes].sort((a, b) => b.createdAt - a.createdAt),
    containers: [...containers].sort((a, b) => b.createdAt - a.createdAt),
  };
}
