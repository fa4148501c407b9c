// Starting and stopping one container the kubelet's way: back-off, image, environment, mounts,
// create, start, postStart; and preStop, then the stop signal with the rest of the grace period.
import { promises as fs } from 'node:fs';
import { join, normalize } from 'node:path';
import type { Mount } from '../runtime/runtime';
import type { WaitingNote } from '../status/pod-status';
import type { KubeletContext } from './context';
import type { PodPlacement } from './downward-api';
import { ContainerConfigError, containerEnv, expandCommand } from './env';
import { containerField } from './events';
import type { ImagePuller } from './image-puller';
import { runHook } from './lifecycle-hooks';
import type { ContainerInstance } from './runtime-view';
import { containerConfig } from './runtime-config';
import type { Container, Pod } from './types';
import type { SandboxConfig } from '../runtime/runtime';

export type StartResult =
  | { started: string }
  | { note: WaitingNote; retryAt?: number }
  | { failedHook: string; id: string };

export interface StartRequest {
  pod: Pod;
  container: Container;
  kind: 'init' | 'app';
  sandboxId: string;
  sandbox: SandboxConfig;
  placement: PodPlacement;
  volumePaths: Map<string, string>;
  /** The newest instance of this container, if any. */
  previous?: ContainerInstance;
}

const PROPAGATION = {
  None: 'private',
  HostToContainer: 'host-to-container',
  Bidirectional: 'bidirectional',
} as const;

export function podFullName(pod: Pod): string {
  return `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
}

/** The hosts file the kubelet gives each pod: localhost and the pod's own name and IP. */
export function hostsFile(pod: Pod, podIP: string): string {
  const name = pod.spec.hostname ?? pod.metadata.name;
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  if (podIP) lines.push(`${podIP}\t${name}`);
  return `${lines.join('\n')}\n`;
}

async function containerMounts(ctx: KubeletContext, req: StartRequest): Promise<Mount[]> {
  const { pod, container: c } = req;
  const mounts: Mount[] = [];
  for (const vm of c.volumeMounts ?? []) {
    const base = req.volumePaths.get(vm.name);
    if (base === undefined) {
      throw new ContainerConfigError(
        `cannot find volume "${vm.name}" to mount into container "${c.name}"`,
      );
    }
    let hostPath = base;
    if (vm.subPath) {
      const sub = normalize(vm.subPath);
      if (sub.startsWith('..') || sub.startsWith('/')) {
        throw new ContainerConfigError(
          `invalid subPath "${vm.subPath}": must be a relative path inside the volume`,
        );
      }
      hostPath = join(base, sub);
      const exists = await fs.lstat(hostPath).catch(() => undefined);
      if (!exists) await fs.mkdir(hostPath, { recursive: true, mode: 0o777 });
    }
    mounts.push({
      containerPath: vm.mountPath,
      hostPath,
      readonly: vm.readOnly === true,
      propagation: PROPAGATION[vm.mountPropagation ?? 'None'],
    });
  }
  const ownHosts = mounts.some((m) => m.containerPath === '/etc/hosts');
  if (!pod.spec.hostNetwork && !ownHosts) {
    const path = join(ctx.volumes.podDir(pod.metadata.uid), 'etc-hosts');
    await fs.mkdir(ctx.volumes.podDir(pod.metadata.uid), { recursive: true });
    await fs.writeFile(path, hostsFile(pod, req.placement.podIP));
    mounts.push({
      containerPath: '/etc/hosts',
      hostPath: path,
      readonly: false,
      propagation: 'private',
    });
  }
  return mounts;
}

/** Starts req.container, or says why it waits. */
export async function startContainer(
  ctx: KubeletContext,
  images: ImagePuller,
  req: StartRequest,
): Promise<StartResult> {
  const { pod, container: c, kind, previous } = req;
  const now = ctx.clock.now();
  const fieldPath = containerField(c.name, kind);
  const event = (type: 'Normal' | 'Warning', reason: string, message: string) =>
    ctx.events.record(pod, { type, reason, message, fieldPath });
  const key = `${pod.metadata.uid}/${kind}/${c.name}`;

  // An init container that succeeded runs again only in a new sandbox: that is no crash.
  const rerun = kind === 'init' && previous?.exitCode === 0;
  if (previous && previous.state === 'exited' && !rerun) {
    const until = ctx.crashBackoff.waitUntil(key, previous.finishedAt || now, now);
    if (until !== undefined) {
      const delay = ctx.crashBackoff.delayOf(key, now) / 1000;
      const message = `back-off ${formatSeconds(delay)} restarting failed container=${c.name} pod=${podFullName(pod)}`;
      event('Warning', 'BackOff', 'Back-off restarting failed container');
      return { note: { reason: 'CrashLoopBackOff', message }, retryAt: until };
    }
    ctx.crashBackoff.retried(key, now);
  }

  const pulled = await images.ensure(pod, c, kind);
  if ('note' in pulled) return pulled;

  let config;
  try {
    const env = await containerEnv(
      { pod, placement: req.placement, node: ctx.node, objects: ctx.objects },
      c,
    );
    const { command, args } = expandCommand(c, env);
    const mounts = await containerMounts(ctx, req);
    config = containerConfig(pod, c, ctx.layout, {
      kind,
      imageRef: pulled.imageRef,
      env,
      command,
      args,
      mounts,
      restartCount: previous ? previous.restartCount + 1 : 0,
    });
  } catch (err) {
    if (!(err instanceof ContainerConfigError)) throw err;
    event('Warning', 'Failed', `Error: ${err.message}`);
    return { note: { reason: 'CreateContainerConfigError', message: err.message } };
  }

  let id: string;
  try {
    await fs.mkdir(join(req.sandbox.logDirectory, c.name), { recursive: true });
    id = await ctx.runtime.createContainer(req.sandboxId, config, req.sandbox);
  } catch (err) {
    const message = (err as Error).message;
    event('Warning', 'Failed', `Error: ${message}`);
    return { note: { reason: 'CreateContainerError', message } };
  }
  event('Normal', 'Created', `Created container ${c.name}`);
  try {
    await ctx.runtime.startContainer(id);
  } catch (err) {
    const message = (err as Error).message;
    event('Warning', 'Failed', `Error: ${message}`);
    return { note: { reason: 'RunContainerError', message } };
  }
  event('Normal', 'Started', `Started container ${c.name}`);

  const postStart = c.lifecycle?.postStart;
  if (postStart) {
    const failure = await runHook(
      ctx.runtime,
      ctx.clock,
      postStart,
      { container: c, containerId: id, podIP: req.placement.podIP },
      30,
    );
    if (failure !== undefined) {
      event('Warning', 'FailedPostStartHook', failure);
      return { failedHook: failure, id };
    }
  }
  return { started: id };
}

function formatSeconds(s: number): string {
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const rest = s % 60;
  return rest ? `${m}m${rest}s` : `${m}m0s`;
}

/**
 * Stops a container within graceSeconds: preStop first (it may use the whole period), then the
 * stop signal, then SIGKILL when the rest of the period is over (at least 2 s after preStop, as
 * the kubelet allows).
 */
export async function killContainer(
  ctx: KubeletContext,
  pod: Pod,
  instance: ContainerInstance,
  spec: Container | undefined,
  graceSeconds: number,
  message: string,
  podIP: string,
): Promise<void> {
  const start = ctx.clock.now();
  const fieldPath = containerField(instance.name, instance.kind);
  ctx.events.record(pod, { type: 'Normal', reason: 'Killing', message, fieldPath });
  let grace = Math.max(0, graceSeconds);
  const preStop = spec?.lifecycle?.preStop;
  if (preStop && instance.state === 'running' && grace > 0) {
    const failure = await runHook(
      ctx.runtime,
      ctx.clock,
      preStop,
      { container: spec!, containerId: instance.id, podIP },
      grace,
    );
    if (failure !== undefined) {
      ctx.events.record(pod, {
        type: 'Warning',
        reason: 'FailedPreStopHook',
        message: `PreStopHook failed: ${failure}`,
        fieldPath,
      });
    }
    const used = (ctx.clock.now() - start) / 1000;
    grace = Math.max(2, grace - used);
  }
  await ctx.runtime.stopContainer(instance.id, Math.ceil(grace));
}
