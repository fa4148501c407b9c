// One worker per pod drives it toward its spec, one sync at a time (the kubelet's pod worker):
// volumes, sandbox, init containers in order, app containers, restarts with back-off, probes; on
// deletion preStop, SIGTERM, grace period, SIGKILL, then cleanup. After each sync it computes the
// pod's status and hands it on when it changed.
import { promises as fs } from 'node:fs';
import type { Timer } from '../util/clock';
import type { SandboxConfig } from '../runtime/runtime';
import type { WaitingNote } from '../status/pod-status';
import { computePodStatus } from '../status/pod-status';
import { VolumeError } from '../volumes/volume-manager';
import type { KubeletContext } from './context';
import { killContainer, podFullName, startContainer } from './container-ops';
import type { PodPlacement } from './downward-api';
import type { ImagePuller } from './image-puller';
import { computePodActions } from './pod-actions';
import { gracePeriodSeconds, isDeleting } from './pod-facts';
import { instancesOf, latestInstance, readPodView } from './runtime-view';
import type { ContainerInstance, PodRuntimeView } from './runtime-view';
import { sandboxConfig } from './runtime-config';
import type { Container, Pod, PodStatus } from './types';

export type WorkerState = 'running' | 'terminating' | 'terminated';

export interface PodWorkerHooks {
  /** The status changed. */
  onStatus(pod: Pod, status: PodStatus): void;
  /** Every container has stopped and the pod's resources on the node are gone. */
  onTerminated(pod: Pod, status: PodStatus): void;
}

/** How long after a failed sync (runtime error) the worker tries again. */
const RETRY_MS = 2000;
/** Dead instances kept per container: the newest (state) and the one before (lastState). */
const KEEP_INSTANCES = 2;

export class PodWorker {
  private current: Pod;
  private removed = false;
  private state: WorkerState = 'running';
  private readonly notes = new Map<string, WaitingNote>();
  private lastStatus: PodStatus | undefined;
  private lastSent = '';
  private readonly startTime: number;
  private busy = false;
  private again = false;
  private wake: { at: number; timer: Timer } | undefined;
  private closed = false;
  /** When RunPodSandbox last failed for this pod (its back-off counts from there). */
  private sandboxFailedAt = 0;
  /** The network problem this pod's events already told of. */
  private announcedNetworkProblem: string | undefined;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: KubeletContext,
    private readonly images: ImagePuller,
    private readonly hooks: PodWorkerHooks,
    pod: Pod,
  ) {
    this.current = pod;
    this.startTime = ctx.clock.now();
    this.lastStatus = pod.status?.phase ? (pod.status as PodStatus) : undefined;
  }

  get uid(): string {
    return this.current.metadata.uid;
  }

  get pod(): Pod {
    return this.current;
  }

  get status(): PodStatus | undefined {
    return this.lastStatus;
  }

  get workerState(): WorkerState {
    return this.state;
  }

  /** A newer version of the pod from the source. */
  update(pod: Pod): void {
    this.current = pod;
    this.trigger();
  }

  /** The pod is gone from the source: stop it with its grace period. */
  remove(pod?: Pod): void {
    if (pod) this.current = pod;
    this.removed = true;
    this.trigger();
  }

  /** Runs a sync soon; syncs never overlap, and triggers during one run it once more after. */
  trigger(): void {
    if (this.closed) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    this.idle = this.loop();
  }

  get isBusy(): boolean {
    return this.busy;
  }

  /** Resolves once no sync is running (tests). */
  settled(): Promise<void> {
    return this.idle;
  }

  /** Stops scheduling syncs (the kubelet is shutting down; containers keep running). */
  close(): void {
    this.closed = true;
    this.wake?.timer.cancel();
  }

  private wakeAt(at: number): void {
    if (this.wake && this.wake.at <= at && this.wake.at > this.ctx.clock.now()) return;
    this.wake?.timer.cancel();
    const timer = this.ctx.clock.after(at - this.ctx.clock.now(), () => {
      this.wake = undefined;
      this.trigger();
    });
    this.wake = { at, timer };
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        try {
          await this.syncOnce();
        } catch (err) {
          this.ctx.logger.warn('pod sync failed', {
            pod: podFullName(this.current),
            err: (err as Error).message,
          });
          this.wakeAt(this.ctx.clock.now() + RETRY_MS);
        }
      } while (this.again && !this.closed);
    } finally {
      this.busy = false;
    }
  }

  private async syncOnce(): Promise<void> {
    if (this.state === 'terminated') return;
    const pod = this.current;
    if (this.removed || isDeleting(pod)) {
      await this.terminate(pod);
      return;
    }
    const view = await readPodView(this.ctx.runtime, this.uid);
    const acted = await this.converge(pod, view);
    const after = acted ? await readPodView(this.ctx.runtime, this.uid) : view;
    this.ctx.probes.sync(pod, after, this.placement(after).podIP);
    await this.collectGarbage(after);
    this.publish(pod, after, false);
  }

  private placement(view: PodRuntimeView): PodPlacement {
    const [sandbox] = view.sandboxes;
    const ips = this.current.spec.hostNetwork
      ? this.ctx.hostIPs
      : sandbox && sandbox.state === 'ready' && sandbox.ip
        ? [sandbox.ip, ...sandbox.additionalIps]
        : [];
    return {
      hostIP: this.ctx.hostIPs[0] ?? '',
      hostIPs: this.ctx.hostIPs,
      podIP: ips[0] ?? '',
      podIPs: ips,
    };
  }

  private note(c: Container, note: WaitingNote, retryAt?: number): void {
    this.notes.set(c.name, note);
    if (retryAt !== undefined) this.wakeAt(retryAt);
  }

  /** Carries out what the pod needs; false when it needed nothing of the runtime. */
  private async converge(pod: Pod, before: PodRuntimeView): Promise<boolean> {
    let view = before;
    const { ctx } = this;
    const actions = computePodActions(pod, view, { restart: ctx.probes.restartVerdicts(view) });
    const grace = gracePeriodSeconds(pod);
    let placement = this.placement(view);

    if (actions.killPod) {
      await this.killAll(pod, view, grace, 'Stopping container');
      for (const s of view.sandboxes) if (s.state === 'ready') await ctx.runtime.stopSandbox(s.id);
    }
    for (const k of actions.killContainers) {
      const spec = pod.spec.containers.find((c) => c.name === k.instance.name);
      const probeGrace = spec?.livenessProbe?.terminationGracePeriodSeconds;
      await killContainer(
        ctx,
        pod,
        k.instance,
        spec,
        probeGrace ?? grace,
        k.message,
        placement.podIP,
      );
    }
    // Volumes are refreshed on every sync, so ConfigMap and Secret changes reach running pods.
    let volumePaths: Map<string, string> | undefined;
    try {
      volumePaths = await ctx.volumes.setUp(pod, placement);
    } catch (err) {
      if (!(err instanceof VolumeError)) throw err;
      ctx.events.record(pod, { type: 'Warning', reason: 'FailedMount', message: err.message });
      // The pod waits, ContainerCreating; a change of its ConfigMaps or Secrets wakes it sooner.
      this.wakeAt(ctx.clock.now() + RETRY_MS * 5);
    }
    const toStart = [...(actions.nextInit ? [actions.nextInit] : []), ...actions.startApps];
    const killed = actions.killPod || actions.killContainers.length > 0;
    if (toStart.length === 0 || !volumePaths) return killed;
    // Restarts of what was just killed see it exited, so the crash back-off applies to them.
    if (killed) view = await readPodView(ctx.runtime, this.uid);

    let sandboxId = actions.sandboxId;
    const attempt = actions.createSandbox
      ? actions.sandboxAttempt
      : (view.sandboxes.find((s) => s.id === sandboxId)?.metadata.attempt ?? 0);
    const sandbox: SandboxConfig = sandboxConfig(pod, ctx.layout, attempt);
    if (actions.createSandbox) {
      const now = ctx.clock.now();
      const networkProblem = pod.spec.hostNetwork ? undefined : ctx.networkNotReady();
      if (networkProblem !== undefined) {
        // The kubelet wakes every waiting pod once the network is ready.
        if (this.announcedNetworkProblem !== networkProblem)
          ctx.events.record(pod, {
            type: 'Warning',
            reason: 'NetworkNotReady',
            message: networkProblem,
          });
        this.announcedNetworkProblem = networkProblem;
        return killed;
      }
      this.announcedNetworkProblem = undefined;
      const backoffKey = `${this.uid}/sandbox`;
      const retryAt = ctx.sandboxBackoff.waitUntil(backoffKey, this.sandboxFailedAt, now);
      if (retryAt !== undefined) {
        this.wakeAt(retryAt);
        return killed;
      }
      try {
        await fs.mkdir(sandbox.logDirectory, { recursive: true });
        sandboxId = await ctx.runtime.runSandbox(sandbox);
        ctx.sandboxBackoff.forget(backoffKey);
      } catch (err) {
        ctx.events.record(pod, {
          type: 'Warning',
          reason: 'FailedCreatePodSandBox',
          message: `Failed to create pod sandbox: ${(err as Error).message}`,
        });
        this.sandboxFailedAt = ctx.clock.now();
        ctx.sandboxBackoff.retried(backoffKey, this.sandboxFailedAt);
        this.wakeAt(
          this.sandboxFailedAt + ctx.sandboxBackoff.delayOf(backoffKey, this.sandboxFailedAt),
        );
        return killed;
      }
      const status = await ctx.runtime.sandboxStatus(sandboxId);
      placement = this.placement({ sandboxes: status ? [status] : [], containers: [] });
    }

    for (const c of toStart) {
      const kind = actions.nextInit === c ? 'init' : 'app';
      const result = await startContainer(ctx, this.images, {
        pod,
        container: c,
        kind,
        sandboxId: sandboxId!,
        sandbox,
        placement,
        volumePaths,
        previous: latestInstance(view, c.name, kind),
      });
      if ('note' in result) {
        this.note(c, result.note, result.retryAt);
      } else if ('failedHook' in result) {
        this.notes.delete(c.name);
        const instance = (await readPodView(ctx.runtime, this.uid)).containers.find(
          (i) => i.id === result.id,
        );
        if (instance) {
          await killContainer(
            ctx,
            pod,
            instance,
            c,
            grace,
            `FailedPostStartHook: ${result.failedHook}`,
            placement.podIP,
          );
        }
      } else {
        this.notes.delete(c.name);
      }
    }
    return true;
  }

  private async killAll(
    pod: Pod,
    view: PodRuntimeView,
    grace: number,
    message: string,
  ): Promise<void> {
    const podIP = this.placement(view).podIP;
    const specs = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
    await Promise.all(
      view.containers
        .filter((i) => i.state === 'running' || i.state === 'created')
        .map((i) =>
          killContainer(
            this.ctx,
            pod,
            i,
            specs.find((c) => c.name === i.name),
            grace,
            `${message} ${i.name}`,
            podIP,
          ),
        ),
    );
  }

  /** Removes dead instances beyond the two newest per container, and empty old sandboxes. */
  private async collectGarbage(view: PodRuntimeView): Promise<void> {
    const { runtime } = this.ctx;
    const dead: ContainerInstance[] = [];
    const names = new Set(view.containers.map((c) => `${c.kind}/${c.name}`));
    for (const key of names) {
      const [kind, name] = key.split('/') as ['init' | 'app', string];
      const instances = instancesOf(view, name, kind);
      dead.push(...instances.slice(KEEP_INSTANCES).filter((i) => i.state === 'exited'));
    }
    for (const d of dead) await runtime.removeContainer(d.id);
    const removed = new Set(dead.map((d) => d.id));
    for (const s of view.sandboxes.slice(1)) {
      const used = view.containers.some((c) => c.sandboxId === s.id && !removed.has(c.id));
      if (!used && s.state !== 'ready') await runtime.removeSandbox(s.id);
    }
  }

  private async terminate(pod: Pod): Promise<void> {
    const { ctx } = this;
    this.state = 'terminating';
    const view = await readPodView(ctx.runtime, this.uid);
    ctx.probes.removePod(this.uid);
    await this.killAll(pod, view, gracePeriodSeconds(pod), 'Stopping container');
    for (const s of view.sandboxes) await ctx.runtime.stopSandbox(s.id);
    const stopped = await readPodView(ctx.runtime, this.uid);
    const status = this.publish(pod, stopped, true);
    await this.cleanUp(stopped);
    this.state = 'terminated';
    this.hooks.onTerminated(pod, status);
  }

  /** Removes the pod's containers, sandboxes, volumes, logs and cgroups from the node. */
  async cleanUp(view?: PodRuntimeView): Promise<void> {
    const { ctx } = this;
    const v = view ?? (await readPodView(ctx.runtime, this.uid));
    for (const c of v.containers) await ctx.runtime.removeContainer(c.id);
    for (const s of v.sandboxes) await ctx.runtime.removeSandbox(s.id);
    await ctx.volumes.tearDown(this.uid);
    const sandbox = sandboxConfig(this.current, ctx.layout, 0);
    await fs.rm(sandbox.logDirectory, { recursive: true, force: true });
    await ctx.cgroups.removePod(sandbox.linux.cgroupParent);
    this.images.forgetPod(this.uid);
    ctx.crashBackoff.forgetPrefix(`${this.uid}/`);
    ctx.sandboxBackoff.forget(`${this.uid}/sandbox`);
  }

  private publish(pod: Pod, view: PodRuntimeView, terminal: boolean): PodStatus {
    const status = computePodStatus({
      pod: { ...pod, status: this.lastStatus ?? pod.status },
      view,
      notes: this.notes,
      readiness: this.ctx.probes.readinessResults,
      startup: this.ctx.probes.startupResults,
      runtimeName: this.ctx.runtimeName,
      hostIPs: this.ctx.hostIPs,
      now: this.ctx.clock.now(),
      startTime: this.startTime,
      terminal,
    });
    this.lastStatus = status;
    const text = JSON.stringify(status);
    if (text !== this.lastSent) {
      this.lastSent = text;
      this.hooks.onStatus(pod, status);
    }
    return status;
  }
}
