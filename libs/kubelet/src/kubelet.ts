// The kubelet's runtime half: takes the pods this node should run (from the API, a manifest
// directory, or a test) and runs them through a container runtime; hands back each pod's status.
// A relist loop (the PLEG) compares what the runtime holds with what it last saw and wakes the
// workers of pods that changed; housekeeping removes what belongs to no pod.
import { Backoff, CRASH_LOOP_BACKOFF, IMAGE_PULL_BACKOFF, SANDBOX_BACKOFF } from './pod/backoff';
import type { CgroupCleaner, KubeletContext } from './pod/context';
import { noCgroupCleanup } from './pod/context';
import type { NodeAllocatable } from './pod/downward-api';
import type { EventRecorder } from './pod/events';
import { logEvents } from './pod/events';
import { ImagePuller } from './pod/image-puller';
import type { ObjectSource } from './pod/object-source';
import { PodWorker } from './pod/pod-worker';
import type { NodeLayout } from './pod/runtime-config';
import type { Pod, PodStatus } from './pod/types';
import { ProbeManager } from './probes/probe-manager';
import type { ProbeRunner } from './probes/probe-runner';
import { NetworkProbeRunner } from './probes/probe-runner';
import { LABEL_MANAGED, LABEL_POD_UID, MANAGED_BY } from './runtime/labels';
import type { ContainerRuntime } from './runtime/runtime';
import type { Clock, Timer } from './util/clock';
import { systemClock } from './util/clock';
import type { Logger } from './util/logger';
import { silentLogger } from './util/logger';
import type { Mounter } from './volumes/mounter';
import { systemMounter } from './volumes/mounter';
import type { TokenSource } from './volumes/volume-manager';
import { VolumeManager } from './volumes/volume-manager';

export interface KubeletOptions {
  nodeName: string;
  runtime: ContainerRuntime;
  objects: ObjectSource;
  /** The node's addresses, first one primary (status.hostIP). */
  hostIPs: string[];
  layout: NodeLayout;
  node: NodeAllocatable;
  /** Pod directories and volumes (/var/lib/kubelet on a real node). */
  rootDir: string;
  clock?: Clock;
  logger?: Logger;
  events?: EventRecorder;
  prober?: ProbeRunner;
  mounter?: Mounter;
  cgroups?: CgroupCleaner;
  secretsInMemory?: boolean;
  tokens?: TokenSource;
  /** How often the runtime is relisted to notice exits (the PLEG period); 1 s as the kubelet. */
  relistPeriodMs?: number;
  /** How often every pod is synced anyway (volume contents, missed events). */
  resyncPeriodMs?: number;
  /** How often the runtime's status (NetworkReady) is read; 5 s as the kubelet (1 s while not ready). */
  runtimeStatusPeriodMs?: number;
  /**
   * The sources pods come from (the API, a manifest directory); pods absent from all of them are
   * removed, and orphans collected, only once each has given its full set. Default: one source.
   */
  sources?: string[];
  /** Called when a pod's status changed. */
  onStatus?: (pod: Pod, status: PodStatus) => void;
  /** Called when a removed or deleted pod has been stopped and cleaned up. */
  onTerminated?: (pod: Pod, status: PodStatus) => void;
}

/** What the kubelet acts on: metadata and spec, not the status it wrote itself nor versions. */
function desireOf(pod: Pod): string {
  const {
    resourceVersion: _rv,
    managedFields: _mf,
    ...meta
  } = pod.metadata as Pod['metadata'] & {
    managedFields?: unknown;
  };
  return JSON.stringify([meta, pod.spec]);
}

export class Kubelet {
  private readonly ctx: KubeletContext;
  private readonly images: ImagePuller;
  private readonly workers = new Map<string, PodWorker>();
  private readonly relistPeriodMs: number;
  private readonly resyncPeriodMs: number;
  private readonly runtimeStatusPeriodMs: number;
  private runtimeStatusTimer?: Timer;
  private networkProblem: string | undefined;
  private lastSeen = new Map<string, string>();
  private relistTimer?: Timer;
  private resyncTimer?: Timer;
  private sourcesReady = false;
  private readonly bySource = new Map<string, Pod[]>();
  private started = false;
  private relisting: Promise<void> = Promise.resolve();
  private relistInFlight = false;

  constructor(private readonly options: KubeletOptions) {
    const clock = options.clock ?? systemClock;
    const logger = options.logger ?? silentLogger;
    const events = options.events ?? logEvents(logger);
    const probes = new ProbeManager({
      clock,
      runner: options.prober ?? new NetworkProbeRunner(options.runtime),
      events,
      logger,
      onChange: (uid) => this.workers.get(uid)?.trigger(),
    });
    this.ctx = {
      nodeName: options.nodeName,
      runtime: options.runtime,
      runtimeName: 'containerd',
      objects: options.objects,
      clock,
      logger,
      events,
      volumes: new VolumeManager({
        rootDir: options.rootDir,
        objects: options.objects,
        mounter: options.mounter ?? systemMounter,
        node: options.node,
        secretsInMemory: options.secretsInMemory ?? false,
        tokens: options.tokens,
      }),
      probes,
      layout: options.layout,
      hostIPs: options.hostIPs,
      node: options.node,
      crashBackoff: new Backoff(CRASH_LOOP_BACKOFF),
      sandboxBackoff: new Backoff(SANDBOX_BACKOFF),
      networkNotReady: () => this.networkProblem,
      pullBackoff: new Backoff(IMAGE_PULL_BACKOFF),
      cgroups: options.cgroups ?? noCgroupCleanup,
    };
    this.images = new ImagePuller(this.ctx);
    this.relistPeriodMs = options.relistPeriodMs ?? 1000;
    this.resyncPeriodMs = options.resyncPeriodMs ?? 10_000;
    this.runtimeStatusPeriodMs = options.runtimeStatusPeriodMs ?? 5_000;
  }

  /** Learns the runtime's name and starts the relist and resync loops. */
  async start(): Promise<void> {
    const version = await this.options.runtime.version();
    this.ctx.runtimeName = version.runtimeName;
    this.started = true;
    await this.readRuntimeStatus();
    this.scheduleRelist();
    this.scheduleResync();
    this.scheduleRuntimeStatus();
  }

  /** Stops the loops; containers keep running, a new kubelet adopts them. */
  stop(): void {
    this.started = false;
    this.relistTimer?.cancel();
    this.resyncTimer?.cancel();
    this.runtimeStatusTimer?.cancel();
    for (const w of this.workers.values()) w.close();
    this.ctx.probes.stopAll();
  }

  /**
   * The whole set of pods source says this node should run. Pods no source has any more are
   * stopped and removed.
   */
  setPods(pods: Pod[], source = 'default'): void {
    this.bySource.set(source, pods);
    const expected = this.options.sources ?? ['default'];
    const all = [...this.bySource.values()].flat();
    const wanted = new Set(all.map((p) => p.metadata.uid));
    for (const pod of pods) this.updatePod(pod);
    if (!expected.every((s) => this.bySource.has(s))) return;
    for (const [uid, w] of this.workers) if (!wanted.has(uid)) w.remove();
    if (!this.sourcesReady) {
      this.sourcesReady = true;
      void this.relistNow();
    }
  }

  /** A pod was added or changed. */
  updatePod(pod: Pod): void {
    const uid = pod.metadata.uid;
    const w = this.workers.get(uid);
    if (w && w.workerState !== 'terminated') {
      // Sources repeat themselves (every scan, every relist): only a change wakes the worker.
      if (w.pod !== pod && desireOf(w.pod) !== desireOf(pod)) w.update(pod);
      return;
    }
    if (w) return; // a finished pod with the same uid does not come back
    const worker = new PodWorker(
      this.ctx,
      this.images,
      {
        onStatus: (p, s) => this.options.onStatus?.(p, s),
        onTerminated: (p, s) => {
          this.workers.delete(p.metadata.uid);
          this.options.onTerminated?.(p, s);
        },
      },
      pod,
    );
    this.workers.set(uid, worker);
    worker.trigger();
  }

  /** A pod was deleted at the source: stop it within its grace period. */
  deletePod(uid: string): void {
    this.workers.get(uid)?.remove();
  }

  /** A ConfigMap or Secret changed: resync the pods (volumes refresh, waiting pods start). */
  objectsChanged(): void {
    for (const w of this.workers.values()) w.trigger();
  }

  status(uid: string): PodStatus | undefined {
    return this.workers.get(uid)?.status;
  }

  /** Every pod the node runs, with its latest status. */
  pods(): Pod[] {
    return [...this.workers.values()].map((w) => ({ ...w.pod, status: w.status ?? w.pod.status }));
  }

  runtimeName(): string {
    return this.ctx.runtimeName;
  }

  /** Whether a pod sync is running. */
  get busy(): boolean {
    return this.relistInFlight || [...this.workers.values()].some((w) => w.isBusy);
  }

  /** Resolves once no pod sync and no relist is running (tests with a manual clock). */
  async settled(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      await this.relisting;
      await Promise.all([...this.workers.values()].map((w) => w.settled()));
      await new Promise((r) => setImmediate(r));
      if (![...this.workers.values()].some((w) => w.isBusy)) return;
    }
  }

  private scheduleRelist(): void {
    if (!this.started) return;
    this.relistTimer = this.ctx.clock.after(this.relistPeriodMs, () => {
      void this.relistNow().finally(() => this.scheduleRelist());
    });
  }

  private scheduleResync(): void {
    if (!this.started) return;
    this.resyncTimer = this.ctx.clock.after(this.resyncPeriodMs, () => {
      for (const w of this.workers.values()) w.trigger();
      this.scheduleResync();
    });
  }

  private scheduleRuntimeStatus(): void {
    if (!this.started) return;
    // Looked at every second while the network is not ready, so pods start soon after it is.
    const period =
      this.networkProblem === undefined
        ? this.runtimeStatusPeriodMs
        : Math.min(1000, this.runtimeStatusPeriodMs);
    this.runtimeStatusTimer = this.ctx.clock.after(period, () => {
      void this.readRuntimeStatus().finally(() => this.scheduleRuntimeStatus());
    });
  }

  /**
   * Whether the runtime can network new pods. No sandbox of a pod network is asked for while it
   * cannot (as the kubelet's "network is not ready" check): each failed RunPodSandbox can leave a
   * network namespace behind. Once it can, waiting pods are synced at once.
   */
  private async readRuntimeStatus(): Promise<void> {
    let conditions;
    try {
      conditions = await this.ctx.runtime.status();
    } catch {
      return; // the runtime is down: pod syncs fail and say so themselves
    }
    const network = conditions.find((c) => c.type === 'NetworkReady');
    const before = this.networkProblem;
    this.networkProblem =
      network && !network.status
        ? `network is not ready: container runtime network not ready: NetworkReady=false reason:${network.reason} message:${network.message}`
        : undefined;
    if (before !== undefined && this.networkProblem === undefined) {
      this.ctx.logger.info('container runtime network ready');
      for (const w of this.workers.values()) w.trigger();
    } else if (before === undefined && this.networkProblem !== undefined) {
      this.ctx.logger.warn('container runtime network not ready', { reason: this.networkProblem });
    }
  }

  /** One PLEG round: wake the workers of pods whose containers or sandboxes changed state. */
  relistNow(): Promise<void> {
    this.relistInFlight = true;
    this.relisting = this.relist()
      .catch((err) => this.ctx.logger.warn('relist failed', { err: (err as Error).message }))
      .finally(() => (this.relistInFlight = false));
    return this.relisting;
  }

  private async relist(): Promise<void> {
    const { runtime } = this.ctx;
    const selector = { [LABEL_MANAGED]: MANAGED_BY };
    const [sandboxes, containers] = await Promise.all([
      runtime.listSandboxes(selector),
      runtime.listContainers({ labels: selector }),
    ]);
    const seen = new Map<string, string>();
    const uidOf = new Map<string, string>();
    for (const s of sandboxes) {
      seen.set(s.id, s.state);
      uidOf.set(s.id, s.labels[LABEL_POD_UID] ?? s.metadata.uid);
    }
    for (const c of containers) {
      seen.set(c.id, c.state);
      uidOf.set(c.id, c.labels[LABEL_POD_UID] ?? '');
    }
    const changed = new Set<string>();
    for (const [id, state] of seen)
      if (this.lastSeen.get(id) !== state) changed.add(uidOf.get(id)!);
    for (const id of this.lastSeen.keys()) if (!seen.has(id)) changed.add(uidOf.get(id) ?? '');
    this.lastSeen = seen;
    for (const uid of changed) this.workers.get(uid)?.trigger();
    if (this.sourcesReady) await this.removeOrphans(new Set(uidOf.values()));
  }

  /** Containers, sandboxes and pod directories of pods this node no longer has. */
  private async removeOrphans(runtimeUids: Set<string>): Promise<void> {
    const { runtime, volumes, logger } = this.ctx;
    for (const uid of runtimeUids) {
      if (!uid || this.workers.has(uid)) continue;
      logger.info('removing orphaned pod', { uid });
      const selector = { [LABEL_POD_UID]: uid, [LABEL_MANAGED]: MANAGED_BY };
      for (const c of await runtime.listContainers({ labels: selector })) {
        await runtime.stopContainer(c.id, 0);
        await runtime.removeContainer(c.id);
      }
      for (const s of await runtime.listSandboxes(selector)) {
        await runtime.stopSandbox(s.id);
        await runtime.removeSandbox(s.id);
      }
      await volumes.tearDown(uid);
      await this.ctx.cgroups.removePod(`${this.ctx.layout.cgroupRoot}/pod${uid}`);
    }
    for (const uid of await volumes.podsOnDisk()) {
      if (!this.workers.has(uid) && !runtimeUids.has(uid)) await volumes.tearDown(uid);
    }
  }
}
