// The node lifecycle controller (kube-controller-manager's nodelifecycle): watches node Leases
// and node status; a node silent past the grace period gets Unknown conditions; nodes get the
// NoSchedule taints their conditions call for, and the NoExecute not-ready/unreachable taints at
// a paced rate per zone; taint-based eviction then deletes the pods that do not tolerate them
// (after their tolerationSeconds); pods on a node that stops being ready are marked not ready so
// Services drop them. When every zone is down at once, nothing is evicted.
import { findResource } from '@flotilla/api';
import {
  finalStateOf,
  NODE_NAME_INDEX,
  objectKey,
  podsByNodeName,
  runWorkers,
  WorkQueue,
  type EventRecorder,
  type Lease,
  type Node,
  type Pod,
  type SharedInformer,
  type TimerHandle,
} from '@flotilla/client';
import type { Controller, ControllerContext } from '../controller';
import { parallelize } from '../parallel';
import { abortOf } from '../signals';
import { counterOn, gaugeOn } from '../registered-metrics';
import { assessNode, condition, type NodeCondition, type NodeHealth } from './node-health';
import { markPodsNotReady, swapTaints } from './node-writes';
import { RateLimitedTimedQueue, type TryResult } from './rate-limited-queue';
import { nodeLifecycleSettings, type NodeLifecycleSettings } from './settings';
import { TaintEviction } from './taint-eviction';
import {
  CONDITION_TAINTS,
  CONTROLLER_NO_SCHEDULE_KEYS,
  hasTaint,
  NOT_READY_NO_EXECUTE,
  TAINT_UNSCHEDULABLE,
  UNREACHABLE_NO_EXECUTE,
  type Taint,
} from './taints';
import {
  computeZoneState,
  LABEL_EXCLUDE_DISRUPTION,
  zoneKey,
  zoneName,
  zoneRate,
  type ZoneState,
} from './zones';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const NODES = findResource('', 'v1', 'nodes')!;
const PODS = findResource('', 'v1', 'pods')!;
const LEASES = findResource('coordination.k8s.io', 'v1', 'leases')!;

/** How often the NoExecute tainting queues are tried (Kubernetes' NodeEvictionPeriod). */
const TAINTING_PERIOD_MS = 100;
/** Node health updates tried this many times per pass (NodeHealthUpdateRetry). */
const HEALTH_UPDATE_ATTEMPTS = 5;
const NODE_WORKERS = 4;
const POD_WORKERS = 2;
const MONITOR_PARALLELISM = 8;

export class NodeLifecycleController implements Controller {
  readonly name = 'nodelifecycle';

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const settings = nodeLifecycleSettings(ctx.flags);
    await new NodeLifecycleRun(ctx, settings).run(signal);
  }
}

/** One term of leadership: all state starts empty, as in a freshly started controller. */
export class NodeLifecycleRun {
  readonly nodes: SharedInformer<Node>;
  readonly leases: SharedInformer<Lease>;
  readonly pods: SharedInformer<Pod>;
  readonly eviction: TaintEviction;
  private readonly health = new Map<string, NodeHealth>();
  private readonly known = new Map<string, Node>();
  private readonly tainters = new Map<string, RateLimitedTimedQueue>();
  private readonly zoneStates = new Map<string, ZoneState>();
  private readonly nodesToRetry = new Set<string>();
  private readonly nodeQueue: WorkQueue<string>;
  private readonly podQueue: WorkQueue<string>;
  private readonly recorder: EventRecorder;
  private readonly timers = new Set<TimerHandle>();
  private stopped = false;
  private readonly metrics;

  constructor(
    private readonly ctx: ControllerContext,
    readonly settings: NodeLifecycleSettings,
  ) {
    const { informers, clock, metrics } = ctx;
    this.nodes = informers.informerFor<Node>(NODES);
    this.leases = informers.informerFor<Lease>(LEASES, { namespace: NODE_LEASE_NAMESPACE });
    this.pods = informers.informerFor<Pod>(PODS, {
      indexers: { [NODE_NAME_INDEX]: podsByNodeName },
    });
    this.recorder = ctx.recorder('node-controller');
    this.nodeQueue = new WorkQueue<string>({
      name: 'node_lifecycle_controller',
      registry: metrics,
      clock,
    });
    this.podQueue = new WorkQueue<string>({
      name: 'node_lifecycle_controller_pods',
      registry: metrics,
      clock,
    });
    this.metrics = {
      zoneHealth: gaugeOn(
        metrics,
        'node_collector_zone_health',
        'Percentage of healthy nodes per zone.',
        ['zone'],
      ),
      zoneSize: gaugeOn(metrics, 'node_collector_zone_size', 'Nodes per zone.', ['zone']),
      unhealthy: gaugeOn(
        metrics,
        'node_collector_unhealthy_nodes_in_zone',
        'Not ready nodes per zone.',
        ['zone'],
      ),
      evictions: counterOn(
        metrics,
        'node_collector_evictions_total',
        'Nodes tainted for eviction (NoExecute), per zone.',
        ['zone'],
      ),
      podDeletions: counterOn(
        metrics,
        'taint_eviction_controller_pod_deletions_total',
        'Pods deleted by taint-based eviction.',
      ),
    };
    this.eviction = new TaintEviction({
      clock,
      pods: (ns) => ctx.client.pods(ns),
      podsOnNode: (name) => this.pods.lister.byIndex(NODE_NAME_INDEX, name),
      pod: (key) => this.pods.lister.getByKey(key),
      node: (name) => this.nodes.lister.get(name),
      recorder: ctx.recorder('taint-eviction-controller'),
      log: ctx.log,
      onDeleted: () => this.metrics.podDeletions.inc(),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    const nodeHandler = this.nodes.addEventHandler({
      onAdd: (n) => this.nodeSeen(n),
      onUpdate: (_old, n) => this.nodeSeen(n),
      onDelete: (d) => {
        const n = finalStateOf(d);
        this.nodesToRetry.delete(n.metadata.name!);
        this.eviction.nodeDeleted(n.metadata.name!);
      },
    });
    const podHandler = this.pods.addEventHandler({
      onAdd: (p) => this.podSeen(undefined, p),
      onUpdate: (old, p) => this.podSeen(old, p),
      onDelete: (d) => this.eviction.podDeleted(objectKey(finalStateOf(d))),
    });
    try {
      this.ctx.informers.start();
      const synced = await Promise.all(
        [this.nodes, this.leases, this.pods].map((i) => i.waitForSync({ signal })),
      );
      if (signal.aborted || !synced.every(Boolean)) return;
      this.ctx.log.info('node lifecycle controller started', {
        gracePeriod: this.settings.gracePeriodMs,
        nodes: this.nodes.lister.list().length,
      });
      const workers = [
        runWorkers(this.nodeQueue, NODE_WORKERS, (name) => this.noScheduleTaintingPass(name), {
          onError: (err, name) =>
            this.ctx.log.warn('NoSchedule taints not written', { node: name, err: String(err) }),
        }),
        runWorkers(this.podQueue, POD_WORKERS, (key) => this.processPod(key), {
          onError: (err, key) =>
            this.ctx.log.warn('pod not marked not ready', { pod: key, err: String(err) }),
        }),
      ];
      this.every(this.settings.monitorPeriodMs, () => this.monitorNodeHealth(), 0);
      this.every(TAINTING_PERIOD_MS, () => this.noExecuteTaintingPass());
      await abortOf(signal);
      this.stop();
      await Promise.all(workers);
    } finally {
      this.stop();
      nodeHandler.remove();
      podHandler.remove();
    }
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) this.ctx.clock.clearTimeout(t);
    this.timers.clear();
    this.nodeQueue.shutDown();
    this.podQueue.shutDown();
    this.eviction.stop();
  }

  /** Runs `fn` now (after `firstMs`) and then `ms` after each run ends. */
  private every(ms: number, fn: () => Promise<void>, firstMs = ms): void {
    const schedule = (delay: number) => {
      if (this.stopped) return;
      const t = this.ctx.clock.setTimeout(() => {
        this.timers.delete(t);
        fn()
          .catch((err) => this.ctx.log.error('node lifecycle pass failed', { err: String(err) }))
          .finally(() => schedule(ms));
      }, delay);
      this.timers.add(t);
    };
    schedule(firstMs);
  }

  private nodeSeen(node: Node): void {
    this.nodeQueue.add(node.metadata.name!);
    this.eviction.nodeChanged(node);
  }

  private podSeen(old: Pod | undefined, pod: Pod): void {
    this.eviction.podChanged(pod);
    const node = pod.spec?.nodeName;
    if (node && (!old || old.spec?.nodeName !== node)) this.podQueue.add(objectKey(pod));
  }

  // ---- NoSchedule taints from conditions --------------------------------------------------------

  /** The NoSchedule taints a node's conditions and spec.unschedulable call for. */
  static noScheduleTaints(node: Node): Taint[] {
    const out: Taint[] = [];
    for (const c of node.status?.conditions ?? []) {
      const key = CONDITION_TAINTS[c.type]?.[c.status];
      if (key) out.push({ key, effect: 'NoSchedule' });
    }
    if (node.spec?.unschedulable) out.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
    return out;
  }

  private async noScheduleTaintingPass(name: string): Promise<void> {
    const node = this.nodes.lister.get(name);
    if (!node || this.stopped) return;
    const want = NodeLifecycleRun.noScheduleTaints(node);
    const have = (node.spec?.taints ?? []).filter(
      (t) => t.effect === 'NoSchedule' && CONTROLLER_NO_SCHEDULE_KEYS.has(t.key),
    );
    const add = want.filter((t) => !hasTaint(have, t));
    const remove = have.filter((t) => !hasTaint(want, t));
    if (add.length === 0 && remove.length === 0) return;
    await swapTaints(this.ctx.client.nodes(), node, add, remove, () => this.ctx.clock.now());
  }

  // ---- health ----------------------------------------------------------------------------------

  /** Kubernetes' monitorNodeHealth: one pass over every node. */
  async monitorNodeHealth(): Promise<void> {
    if (this.stopped) return;
    const nodes = this.nodes.lister.list();
    const names = new Set(nodes.map((n) => n.metadata.name!));
    for (const node of nodes) {
      const name = node.metadata.name!;
      this.tainterFor(zoneKey(node));
      if (this.known.has(name)) continue;
      this.known.set(name, node);
      this.nodeEvent(node, 'Normal', 'RegisteredNode', `Registered Node ${name} in Controller`);
      await this.markNodeAsReachable(node).catch((err) =>
        this.ctx.log.warn('taints not removed from a new node', { node: name, err: String(err) }),
      );
    }
    for (const [name, node] of this.known) {
      if (names.has(name)) continue;
      this.known.delete(name);
      this.health.delete(name);
      this.nodeEvent(node, 'Normal', 'RemovingNode', `Removing Node ${name} from Controller`);
    }

    const zoneReady = new Map<string, (string | undefined)[]>();
    await parallelize(nodes, MONITOR_PARALLELISM, async (cached) => {
      if (this.stopped) return;
      const outcome = await this.updateNodeHealth(cached);
      if (!outcome) return;
      const { node, observed, current } = outcome;
      if (node.metadata.labels?.[LABEL_EXCLUDE_DISRUPTION] === undefined) {
        const key = zoneKey(node);
        const list = zoneReady.get(key) ?? [];
        list.push(current?.status);
        zoneReady.set(key, list);
      }
      if (!current) return;
      const name = node.metadata.name!;
      await this.processTaintBasedEviction(node, observed);
      const becameNotReady = current.status !== 'True' && observed.status === 'True';
      const retry = this.nodesToRetry.has(name) && observed.status !== 'True';
      if (becameNotReady) {
        this.nodeEvent(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      }
      if (becameNotReady || retry) {
        try {
          const pods = this.pods.lister.byIndex(NODE_NAME_INDEX, name);
          const marked = await markPodsNotReady(
            (ns) => this.ctx.client.pods(ns),
            pods,
            name,
            () => this.ctx.clock.now(),
          );
          for (const pod of marked) {
            this.recorder.eventf(
              pod,
              undefined,
              'Warning',
              'NodeNotReady',
              'MarkNotReady',
              'Node is not ready',
            );
          }
        } catch (err) {
          this.ctx.log.warn('pods not all marked not ready; will retry', {
            node: name,
            err: String(err),
          });
          this.nodesToRetry.add(name);
          return;
        }
      }
      this.nodesToRetry.delete(name);
    });
    await this.handleDisruption(zoneReady, nodes);
  }

  /**
   * Folds the node's and its Lease's news into what is known of it; writes Unknown conditions
   * when it has been silent too long (reading the node again when the write conflicts).
   */
  private async updateNodeHealth(
    cached: Node,
  ): Promise<
    { node: Node; observed: NodeCondition; current: NodeCondition | undefined } | undefined
  > {
    let node = cached;
    const name = node.metadata.name!;
    for (let attempt = 0; attempt < HEALTH_UPDATE_ATTEMPTS; attempt++) {
      const lease = this.leases.lister.get(name, NODE_LEASE_NAMESPACE);
      const now = this.ctx.clock.now();
      const a = assessNode(this.health.get(name), node, lease, now, {
        gracePeriodMs: this.settings.gracePeriodMs,
        startupGracePeriodMs: this.settings.startupGracePeriodMs,
      });
      if (!a.status) {
        this.health.set(name, a.health);
        return { node, observed: a.observedReady, current: a.currentReady };
      }
      try {
        const written = await this.ctx.client.nodes().updateStatus({ ...node, status: a.status });
        this.health.set(name, a.health);
        this.ctx.log.info('node stopped posting status: conditions set to Unknown', { node: name });
        return { node: written, observed: a.observedReady, current: a.currentReady };
      } catch (err) {
        this.ctx.log.warn('node health not written; reading the node again', {
          node: name,
          err: String(err),
        });
        try {
          node = await this.ctx.client.nodes().get(name);
        } catch {
          return undefined; // gone: the next pass forgets it
        }
      }
    }
    this.ctx.log.error('node health not written: no pods will be evicted from it this pass', {
      node: name,
    });
    return undefined;
  }

  // ---- NoExecute taints, paced per zone ----------------------------------------------------------

  private tainterFor(zone: string): RateLimitedTimedQueue {
    let q = this.tainters.get(zone);
    if (!q) {
      q = new RateLimitedTimedQueue(this.settings.evictionRate, this.ctx.clock);
      this.tainters.set(zone, q);
      this.zoneStates.set(zone, 'Initial');
      this.metrics.evictions.inc({ zone: zoneName(zone) }, 0);
    }
    return q;
  }

  private async processTaintBasedEviction(node: Node, observed: NodeCondition): Promise<void> {
    const taints = node.spec?.taints;
    const nodes = this.ctx.client.nodes();
    const now = () => this.ctx.clock.now();
    switch (observed.status) {
      case 'False':
        if (hasTaint(taints, UNREACHABLE_NO_EXECUTE)) {
          // Already evicting as unreachable: switch the taint at once, no new wait in the queue.
          await swapTaints(
            nodes,
            node,
            [NOT_READY_NO_EXECUTE],
            [UNREACHABLE_NO_EXECUTE],
            now,
          ).catch((err) =>
            this.ctx.log.warn('not-ready taint not swapped in', { err: String(err) }),
          );
        } else this.markNodeForTainting(node, 'False');
        break;
      case 'Unknown':
        if (hasTaint(taints, NOT_READY_NO_EXECUTE)) {
          await swapTaints(
            nodes,
            node,
            [UNREACHABLE_NO_EXECUTE],
            [NOT_READY_NO_EXECUTE],
            now,
          ).catch((err) =>
            this.ctx.log.warn('unreachable taint not swapped in', { err: String(err) }),
          );
        } else this.markNodeForTainting(node, 'Unknown');
        break;
      case 'True':
        await this.markNodeAsReachable(node).catch((err) =>
          this.ctx.log.warn('NoExecute taints not removed', {
            node: node.metadata.name,
            err: String(err),
          }),
        );
        break;
    }
  }

  private markNodeForTainting(node: Node, status: 'False' | 'Unknown'): boolean {
    const q = this.tainterFor(zoneKey(node));
    const name = node.metadata.name!;
    const wanted = status === 'False' ? NOT_READY_NO_EXECUTE : UNREACHABLE_NO_EXECUTE;
    if (!hasTaint(node.spec?.taints, wanted)) q.remove(name);
    return q.add(name, node.metadata.uid ?? '');
  }

  /** Takes the NoExecute not-ready/unreachable taints off and the node out of the queue. */
  private async markNodeAsReachable(node: Node): Promise<boolean> {
    await swapTaints(
      this.ctx.client.nodes(),
      node,
      [],
      [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE],
      () => this.ctx.clock.now(),
    );
    return this.tainterFor(zoneKey(node)).remove(node.metadata.name!);
  }

  /** One pass of every zone's tainting queue (doNoExecuteTaintingPass). */
  async noExecuteTaintingPass(): Promise<void> {
    for (const [zone, q] of this.tainters) {
      if (this.stopped) return;
      await q.try((name) => this.taintForEviction(zone, name));
    }
  }

  private async taintForEviction(zone: string, name: string): Promise<TryResult> {
    const node = this.nodes.lister.get(name);
    if (!node) return { done: true };
    const ready = condition(node, 'Ready');
    if (!ready) return { done: false, retryAfterMs: 50 };
    let add: Taint;
    let opposite: Taint;
    if (ready.status === 'False') [add, opposite] = [NOT_READY_NO_EXECUTE, UNREACHABLE_NO_EXECUTE];
    else if (ready.status === 'Unknown')
      [add, opposite] = [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE];
    else return { done: true }; // ready again
    try {
      await swapTaints(this.ctx.client.nodes(), node, [add], [opposite], () =>
        this.ctx.clock.now(),
      );
      this.metrics.evictions.inc({ zone: zoneName(zone) });
      this.ctx.log.info('node tainted for eviction', { node: name, taint: add.key });
      return { done: true };
    } catch (err) {
      this.ctx.log.warn('NoExecute taint not written; will retry', {
        node: name,
        err: String(err),
      });
      return { done: false, retryAfterMs: 0 };
    }
  }

  // ---- zones -----------------------------------------------------------------------------------

  /** Kubernetes' handleDisruption: zone states, eviction rates, and the all-zones-down stop. */
  private async handleDisruption(
    zoneReady: Map<string, (string | undefined)[]>,
    nodes: Node[],
  ): Promise<void> {
    const next = new Map<string, ZoneState>();
    let allDown = true;
    for (const [zone, ready] of zoneReady) {
      const { unhealthy, state } = computeZoneState(ready, this.settings.unhealthyZoneThreshold);
      const label = { zone: zoneName(zone) };
      this.metrics.zoneSize.set(label, ready.length);
      this.metrics.zoneHealth.set(label, (100 * (ready.length - unhealthy)) / ready.length);
      this.metrics.unhealthy.set(label, unhealthy);
      if (state !== 'FullDisruption') allDown = false;
      next.set(zone, state);
      if (!this.zoneStates.has(zone)) this.zoneStates.set(zone, 'Initial');
    }
    let allWereDown = true;
    for (const [zone, state] of [...this.zoneStates]) {
      if (!zoneReady.has(zone)) {
        this.zoneStates.delete(zone);
        continue;
      }
      if (state !== 'FullDisruption') {
        allWereDown = false;
        break;
      }
    }
    if (allDown && allWereDown) return;
    const rates = {
      primaryQps: this.settings.evictionRate,
      secondaryQps: this.settings.secondaryEvictionRate,
      largeClusterThreshold: this.settings.largeClusterThreshold,
    };
    if (allDown) {
      this.ctx.log.warn(
        'every node is not ready: entering master disruption mode, no node is tainted for eviction',
        { nodes: nodes.length },
      );
      for (const node of nodes) {
        await this.markNodeAsReachable(node).catch((err) =>
          this.ctx.log.warn('taints not removed', { node: node.metadata.name, err: String(err) }),
        );
      }
      for (const zone of this.zoneStates.keys()) {
        this.tainterFor(zone).swapLimiter(0);
        this.zoneStates.set(zone, 'FullDisruption');
      }
      return;
    }
    if (allWereDown) {
      this.ctx.log.info('some nodes are ready again: leaving master disruption mode');
      const now = this.ctx.clock.now();
      // Every node gets a fresh grace period: the silence was the control plane's.
      for (const node of nodes) {
        const h = this.health.get(node.metadata.name!);
        if (h)
          this.health.set(node.metadata.name!, {
            ...h,
            probeTimestamp: now,
            readyTransitionTimestamp: now,
          });
      }
      for (const zone of this.zoneStates.keys()) {
        const state = next.get(zone) ?? 'Normal';
        this.tainterFor(zone).swapLimiter(zoneRate(state, zoneReady.get(zone)?.length ?? 0, rates));
        this.zoneStates.set(zone, state);
      }
      return;
    }
    for (const [zone, state] of [...this.zoneStates]) {
      const now = next.get(zone);
      if (!now || now === state) continue;
      this.ctx.log.info('zone changed state', { zone: zoneName(zone), from: state, to: now });
      this.tainterFor(zone).swapLimiter(zoneRate(now, zoneReady.get(zone)?.length ?? 0, rates));
      this.zoneStates.set(zone, now);
    }
  }

  zoneState(zone: string): ZoneState | undefined {
    return this.zoneStates.get(zone);
  }

  // ---- pods newly bound to a node that is not ready -----------------------------------------------

  private async processPod(key: string): Promise<void> {
    const pod = this.pods.lister.getByKey(key);
    const nodeName = pod?.spec?.nodeName;
    if (!pod || !nodeName) return;
    const health = this.health.get(nodeName);
    if (!health?.ready || !this.nodes.lister.get(nodeName)) return;
    if (health.ready.status === 'True') return;
    await markPodsNotReady(
      (ns) => this.ctx.client.pods(ns),
      [pod],
      nodeName,
      () => this.ctx.clock.now(),
    );
  }

  private nodeEvent(node: Node, type: 'Normal' | 'Warning', reason: string, note: string): void {
    const ref = {
      apiVersion: 'v1',
      kind: 'Node',
      name: node.metadata.name!,
      // Kubernetes refers to a node by its name in events about it.
      uid: node.metadata.name!,
    };
    this.recorder.eventf(ref, undefined, type, reason, reason, note);
  }
}
