// The scheduler: informers feed the cache (nodes, bound pods) and the queue (pods waiting for this
// scheduler's profiles); one loop pops a pod, runs its profile's plugins over the cache, assumes
// the pod on the chosen node and sends the binding without waiting for it, so the next pod is
// scheduled at once against the assumed one. A pod that fits nowhere may preempt; it gets a
// FailedScheduling event and a PodScheduled=False condition worded as kube-scheduler's.
import { isApiError } from '@flotilla/api';
import {
  finalStateOf,
  realClock,
  type Clock,
  type DeletedFinalStateUnknown,
  type EventRecorder,
  type HandlerRegistration,
  type KubeClient,
  SharedInformerFactory,
  stripManagedFields,
  type SharedInformer,
} from '@flotilla/client';
import type { Registry } from 'prom-client';
import type { Namespace, Node, Pod, ReplicaSet, Service } from '../api/types';
import { DEFAULT_SCHEDULER_NAME } from '../api/types';
import { SchedulerCache } from '../cache/scheduler-cache';
import { buildFramework } from '../config/profile';
import { DEFAULT_CONFIGURATION, type SchedulerConfiguration } from '../config/types';
import { CycleState } from '../framework/cycle-state';
import {
  ActionType,
  ASSIGNED_POD_ADD,
  ASSIGNED_POD_DELETE,
  event,
  NODE_ADD,
  type ClusterEvent,
} from '../framework/events';
import type { Framework } from '../framework/framework';
import type { Handle, QueuedPodInfo } from '../framework/interfaces';
import { podKey, podRef } from '../framework/pod-info';
import { Status } from '../framework/status';
import type { PreemptionExecutor } from '../plugins/default-preemption';
import { SchedulingQueue } from '../queue/scheduling-queue';
import { FitError } from './fit-error';
import { schedulerMetrics, type SchedulerMetrics } from './metrics';
import { nodeChange } from './node-events';
import { PodScheduler, ScheduleError } from './schedule-pod';

export type SchedulerLog = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

export interface SchedulerOptions {
  client: KubeClient;
  /** Shared informers over `client` (pods, nodes, namespaces, services, replicasets are used). */
  informers: SharedInformerFactory;
  config?: SchedulerConfiguration;
  /** Where Scheduled / FailedScheduling / Preempted events go (none: not recorded). */
  recorder?: EventRecorder;
  registry?: Registry;
  clock?: Clock;
  random?: () => number;
  log?: SchedulerLog;
  /** Work this long, then let I/O (bindings, watch events) run before the next pod (default 20 ms). */
  yieldEveryMs?: number;
}

const REASON_UNSCHEDULABLE = 'Unschedulable';
const REASON_SCHEDULER_ERROR = 'SchedulerError';

const isTerminal = (pod: Pod) =>
  pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const isAssigned = (pod: Pod) => !!pod.spec?.nodeName;

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly profiles = new Map<string, Framework>();
  readonly metrics: SchedulerMetrics | undefined;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly algorithm: PodScheduler;
  private readonly podInformer: SharedInformer<Pod>;
  private readonly nodeInformer: SharedInformer<Node>;
  private readonly namespaceInformer: SharedInformer<Namespace>;
  private readonly serviceInformer: SharedInformer<Service>;
  private readonly replicaSetInformer: SharedInformer<ReplicaSet>;
  private registrations: HandlerRegistration[] = [];
  private readonly bindings = new Set<Promise<void>>();
  private readonly log: SchedulerLog;
  private readonly yieldEveryMs: number;
  /** Pods bound by this scheduler (for tests and logs). */
  boundTotal = 0;

  constructor(private readonly o: SchedulerOptions) {
    const config = o.config ?? DEFAULT_CONFIGURATION;
    this.clock = o.clock ?? realClock;
    this.random = o.random ?? Math.random;
    this.log = o.log ?? (() => undefined);
    this.yieldEveryMs = o.yieldEveryMs ?? 20;
    this.metrics = o.registry ? schedulerMetrics(o.registry) : undefined;
    const f = o.informers;
    this.podInformer = f.informerFor<Pod>(o.client.pods().info);
    this.nodeInformer = f.informerFor<Node>(o.client.nodes().info);
    this.namespaceInformer = f.informerFor<Namespace>(o.client.namespaces().info);
    this.serviceInformer = f.informerFor<Service>(o.client.services().info);
    this.replicaSetInformer = f.informerFor<ReplicaSet>(o.client.replicaSets().info);

    const handle: Handle = {
      snapshot: this.cache,
      namespaceLabels: (ns) => this.namespaceInformer.lister.get(ns)?.metadata.labels,
      namespaces: () =>
        this.namespaceInformer.lister.list().map((n) => ({
          name: n.metadata.name ?? '',
          labels: n.metadata.labels,
        })),
      services: (ns) => this.serviceInformer.lister.listInNamespace(ns),
      replicaSets: (ns) => this.replicaSetInformer.lister.listInNamespace(ns),
      podDisruptionBudgets: () => [], // policy/v1 is not served yet
      nominatedPodsForNode: (node) => this.queue.nominator.forNode(node),
      random: this.random,
      now: () => this.clock.now(),
    };
    const executor: PreemptionExecutor = {
      execute: (preemptor, node, victims, lower) => this.preempt(preemptor, node, victims, lower),
    };
    for (const profile of config.profiles) {
      const fwk = buildFramework(profile, {
        handle,
        preemption: executor,
        bind: (pod, nodeName) =>
          o.client
            .pods(pod.metadata.namespace)
            .bind(pod.metadata.name ?? '', nodeName, { uid: pod.metadata.uid }),
      });
      this.profiles.set(profile.schedulerName, fwk);
    }
    const first = this.profiles.values().next().value as Framework;
    const pluginEvents = new Map<string, ClusterEvent[]>();
    for (const fwk of this.profiles.values())
      for (const [name, events] of fwk.eventsByPlugin()) pluginEvents.set(name, events);
    this.queue = new SchedulingQueue({
      less: first.less,
      preEnqueue: (pod) => this.frameworkFor(pod)?.runPreEnqueue(pod) ?? null,
      pluginEvents,
      clock: this.clock,
      initialBackoffMs: config.podInitialBackoffSeconds * 1000,
      maxBackoffMs: config.podMaxBackoffSeconds * 1000,
    });
    this.algorithm = new PodScheduler(this.cache, config.percentageOfNodesToScore, this.random);
  }

  /**
   * The informers a scheduler runs on. Objects are cached without managedFields, as
   * kube-scheduler's informers cache them since 1.26: no plugin reads them, and every pod of the
   * cluster is in the cache. Still frozen: the cache is shared with every term and plugin.
   */
  static informerFactory(
    client: KubeClient,
    onError?: (err: unknown, resource: string) => void,
  ): SharedInformerFactory {
    return new SharedInformerFactory({
      listerWatcher: (info, ns) => client.resource(info, ns),
      transform: stripManagedFields,
      onError,
    });
  }

  /**
   * Makes (and starts) the informers a scheduler reads, ahead of any term: a standby that keeps
   * them running has the cluster listed when it takes over.
   */
  static warmInformers(client: KubeClient, informers: SharedInformerFactory): void {
    for (const info of [
      client.pods().info,
      client.nodes().info,
      client.namespaces().info,
      client.services().info,
      client.replicaSets().info,
    ])
      informers.informerFor(info);
    informers.start();
  }

  /** Whether one of this scheduler's profiles schedules `pod`. */
  responsibleFor(pod: Pod): boolean {
    return this.profiles.has(pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME);
  }

  /**
   * Starts the informers, waits for their first lists, and schedules until `signal` aborts; then
   * waits for the bindings still on the way and detaches from the informers.
   */
  async run(signal: AbortSignal): Promise<void> {
    const began = this.clock.now();
    this.attach();
    this.o.informers.start();
    const synced = await this.o.informers.waitForCacheSync({ signal });
    if (!synced) {
      this.detach();
      return;
    }
    this.log('info', 'scheduler caches synced', {
      nodes: this.cache.nodeCount,
      pods: this.cache.podCount,
      pending: this.queue.counts.active,
      ms: this.clock.now() - began,
    });
    const onAbort = () => this.queue.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      let lastYield = this.clock.now();
      let lastReport = 0;
      for (;;) {
        const qpi = await this.queue.pop(signal);
        if (!qpi) break;
        this.scheduleOne(qpi);
        const now = this.clock.now();
        if (now - lastReport >= 1000) {
          this.reportPending();
          lastReport = now;
        }
        if (now - lastYield >= this.yieldEveryMs) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = this.clock.now();
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.queue.close();
      await Promise.allSettled([...this.bindings]);
      this.detach();
    }
  }

  private reportPending(): void {
    const c = this.queue.counts;
    for (const [queue, n] of Object.entries(c)) this.metrics?.pendingPods.set({ queue }, n);
  }

  private frameworkFor(pod: Pod): Framework | undefined {
    return this.profiles.get(pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME);
  }

  // ---- one pod ----------------------------------------------------------------------------------

  /** One scheduling cycle, synchronous up to the binding (which runs on its own). */
  scheduleOne(qpi: QueuedPodInfo): void {
    const podInfo = qpi.podInfo;
    const pod = podInfo.pod;
    const key = podInfo.key;
    const fwk = this.frameworkFor(pod);
    if (!fwk || pod.metadata.deletionTimestamp || this.cache.podState(key)) {
      this.queue.done(key);
      return;
    }
    const start = this.clock.now();
    const state = new CycleState();
    let nodeName: string;
    try {
      nodeName = this.algorithm.schedule(fwk, state, podInfo).nodeName;
    } catch (err) {
      this.onScheduleFailure(fwk, qpi, state, err, start);
      return;
    }
    const assumed: Pod = { ...pod, spec: { ...pod.spec, nodeName } } as Pod;
    const assumedInfo = podInfo.withPod(assumed);
    this.cache.assumePod(assumedInfo);
    this.queue.nominator.delete(key);
    const binding = this.bind(fwk, qpi, assumed, nodeName, start);
    this.bindings.add(binding);
    void binding.finally(() => this.bindings.delete(binding));
  }

  private async bind(
    fwk: Framework,
    qpi: QueuedPodInfo,
    assumed: Pod,
    nodeName: string,
    start: number,
  ): Promise<void> {
    const key = qpi.podInfo.key;
    let status: Status | null;
    try {
      status = await fwk.runBind(assumed, nodeName);
    } catch (err) {
      status = Status.error(String(err));
    }
    if (!status) {
      this.cache.finishBinding(key);
      this.queue.done(key);
      this.boundTotal++;
      const now = this.clock.now();
      this.metrics?.scheduleAttempts.inc({ result: 'scheduled', profile: fwk.profileName });
      this.metrics?.schedulingAttemptDuration.observe(
        { result: 'scheduled', profile: fwk.profileName },
        (now - start) / 1000,
      );
      if (qpi.initialAttemptTimestamp !== undefined)
        this.metrics?.podSchedulingSli.observe(
          { attempts: String(qpi.attempts) },
          (now - qpi.initialAttemptTimestamp) / 1000,
        );
      this.o.recorder?.eventf(
        assumed,
        undefined,
        'Normal',
        'Scheduled',
        'Binding',
        'Successfully assigned %s to %s',
        podRef(assumed),
        nodeName,
      );
      return;
    }
    // The node is free again for others: pods waiting for room may fit now.
    this.cache.forgetPod(key);
    this.queue.moveAllToActiveOrBackoff(ASSIGNED_POD_DELETE);
    this.metrics?.scheduleAttempts.inc({ result: 'error', profile: fwk.profileName });
    const gone = /already assigned|being deleted|UID in precondition|not found/i.test(
      status.message,
    );
    this.queue.addUnschedulable(qpi, false);
    if (gone) return; // the watch tells the rest: the pod was bound elsewhere or deleted
    this.log('warn', 'binding failed', {
      pod: podRef(assumed),
      node: nodeName,
      error: status.message,
    });
    this.reportFailure(
      qpi,
      REASON_SCHEDULER_ERROR,
      `Binding rejected: ${status.message}`,
      undefined,
    );
  }

  private onScheduleFailure(
    fwk: Framework,
    qpi: QueuedPodInfo,
    state: CycleState,
    err: unknown,
    start: number,
  ): void {
    const observe = (result: string) => {
      this.metrics?.scheduleAttempts.inc({ result, profile: fwk.profileName });
      this.metrics?.schedulingAttemptDuration.observe(
        { result, profile: fwk.profileName },
        (this.clock.now() - start) / 1000,
      );
    };
    if (err instanceof FitError) {
      let nominated: string | undefined;
      if (fwk.hasPostFilter) {
        this.metrics?.preemptionAttempts.inc();
        const out = fwk.runPostFilter(state, qpi.podInfo, err.statuses);
        if (out.status) err.postFilterMsg = out.status.message;
        nominated = out.result?.nominatedNodeName;
      }
      observe('unschedulable');
      qpi.unschedulablePlugins = err.unschedulablePlugins;
      if (nominated) this.queue.nominator.add(qpi.podInfo, nominated);
      else if (nominated === '') this.queue.nominator.delete(qpi.podInfo.key);
      this.queue.addUnschedulable(qpi, true);
      this.reportFailure(qpi, REASON_UNSCHEDULABLE, err.message, nominated);
      return;
    }
    observe('error');
    const message = err instanceof ScheduleError ? err.message : String(err);
    this.log('warn', 'scheduling attempt failed', { pod: podRef(qpi.podInfo.pod), error: message });
    this.queue.addUnschedulable(qpi, false);
    this.reportFailure(qpi, REASON_SCHEDULER_ERROR, message, undefined);
  }

  /** The FailedScheduling event, and PodScheduled=False (and the nomination) when they changed. */
  private reportFailure(
    qpi: QueuedPodInfo,
    reason: string,
    message: string,
    nominated: string | undefined,
  ): void {
    const pod =
      this.podInformer.lister.get(qpi.podInfo.name, qpi.podInfo.namespace) ?? qpi.podInfo.pod;
    if (pod.metadata.uid !== qpi.podInfo.pod.metadata.uid || isAssigned(pod)) return;
    this.o.recorder?.eventf(pod, undefined, 'Warning', 'FailedScheduling', 'Scheduling', message);
    const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const nominationChanged =
      nominated !== undefined && (pod.status?.nominatedNodeName ?? '') !== nominated;
    if (
      !nominationChanged &&
      current?.status === 'False' &&
      current.reason === reason &&
      current.message === message
    )
      return;
    const status: Record<string, unknown> = {
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason,
          message,
          lastProbeTime: null,
          lastTransitionTime:
            current?.status === 'False'
              ? current.lastTransitionTime
              : new Date(this.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      ],
    };
    if (nominationChanged) status.nominatedNodeName = nominated || null;
    this.o.client
      .pods(pod.metadata.namespace)
      .patchStatus(
        pod.metadata.name ?? '',
        { metadata: { uid: pod.metadata.uid }, status },
        'strategic',
      )
      .catch((err: unknown) => {
        if (isApiError(err) && (err.code === 404 || err.code === 409)) return;
        this.log('warn', 'updating pod status failed', { pod: podRef(pod), error: String(err) });
      });
  }

  /** Carries out a preemption decided by DefaultPreemption: victims deleted, promises cleared. */
  private preempt(preemptor: Pod, nodeName: string, victims: Pod[], lower: Pod[]): void {
    this.metrics?.preemptionVictims.observe(victims.length);
    for (const victim of victims) {
      this.o.recorder?.eventf(
        victim,
        preemptor,
        'Normal',
        'Preempted',
        'Preempting',
        'Preempted by pod %s on node %s',
        preemptor.metadata.uid ?? podRef(preemptor),
        nodeName,
      );
      this.o.client
        .pods(victim.metadata.namespace)
        .delete(victim.metadata.name ?? '', { preconditions: { uid: victim.metadata.uid } })
        .catch((err: unknown) => {
          if (isApiError(err) && (err.code === 404 || err.code === 409)) return;
          this.log('warn', 'deleting a preemption victim failed', {
            pod: podRef(victim),
            error: String(err),
          });
        });
    }
    for (const pod of lower) {
      this.queue.nominator.delete(podKey(pod));
      if (!pod.status?.nominatedNodeName) continue;
      this.o.client
        .pods(pod.metadata.namespace)
        .patchStatus(pod.metadata.name ?? '', { status: { nominatedNodeName: null } }, 'merge')
        .catch(() => undefined);
    }
  }

  // ---- informers --------------------------------------------------------------------------------

  private attach(): void {
    this.registrations = [
      this.nodeInformer.addEventHandler({
        onAdd: (node) => {
          this.cache.addNode(node);
          this.queue.moveAllToActiveOrBackoff(NODE_ADD);
        },
        onUpdate: (old, node) => {
          this.cache.updateNode(node);
          const action = nodeChange(old, node);
          if (action) this.queue.moveAllToActiveOrBackoff(event('Node', action, 'NodeUpdate'));
        },
        onDelete: (d) =>
          this.cache.removeNode(finalStateOf(d as Node | DeletedFinalStateUnknown<Node>)),
      }),
      this.podInformer.addEventHandler({
        onAdd: (pod) => this.podAdded(pod),
        onUpdate: (old, pod) => this.podUpdated(old, pod),
        onDelete: (d) => this.podDeleted(finalStateOf(d as Pod | DeletedFinalStateUnknown<Pod>)),
      }),
    ];
  }

  private detach(): void {
    for (const r of this.registrations) r.remove();
    this.registrations = [];
  }

  private podAdded(pod: Pod): void {
    if (isAssigned(pod)) {
      if (isTerminal(pod)) return;
      this.cache.addPod(pod);
      this.queue.moveAllToActiveOrBackoff(ASSIGNED_POD_ADD);
    } else if (this.responsibleFor(pod) && !pod.metadata.deletionTimestamp && !isTerminal(pod)) {
      this.queue.add(pod);
    }
  }

  private podUpdated(old: Pod, pod: Pod): void {
    if (isAssigned(pod)) {
      if (!isAssigned(old)) this.queue.delete(old); // bound (by us: confirms the assumption)
      if (isTerminal(pod)) {
        if (this.cache.podState(podKey(pod))) {
          this.cache.removePod(pod);
          this.queue.moveAllToActiveOrBackoff(ASSIGNED_POD_DELETE);
        }
        return;
      }
      const known = this.cache.podState(podKey(pod));
      this.cache.updatePod(pod);
      if (!known || known.assumed) this.queue.moveAllToActiveOrBackoff(ASSIGNED_POD_ADD);
      else if (labelsChanged(old, pod))
        this.queue.moveAllToActiveOrBackoff(
          event('AssignedPod', ActionType.UpdatePodLabel, 'AssignedPodUpdate'),
        );
      return;
    }
    if (!this.responsibleFor(pod) || pod.metadata.deletionTimestamp || isTerminal(pod)) {
      this.queue.delete(pod);
      return;
    }
    this.queue.update(old, pod);
  }

  private podDeleted(pod: Pod): void {
    const key = podKey(pod);
    if (this.cache.podState(key)) {
      this.cache.removePod(pod);
      this.queue.moveAllToActiveOrBackoff(ASSIGNED_POD_DELETE);
    }
    this.queue.delete(pod);
  }
}

function labelsChanged(a: Pod, b: Pod): boolean {
  return JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {});
}
