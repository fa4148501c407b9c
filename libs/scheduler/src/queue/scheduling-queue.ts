// kube-scheduler's scheduling queue. Pods to try wait in the active heap (priority, then arrival);
// a pod that failed waits out a back-off (1 s doubling to 10 s by default) in the back-off heap;
// a pod turned down waits in the unschedulable set until a cluster event one of the plugins that
// turned it down registered could make it fit (a node added, a pod deleted, a taint removed...),
// or until it has waited 5 minutes. Pods a PreEnqueue plugin holds (scheduling gates) wait gated.
import { realClock, type Clock, type TimerHandle } from '@flotilla/client';
import type { Pod } from '../api/types';
import {
  ActionType,
  eventMatches,
  UNSCHEDULABLE_TIMEOUT,
  type ClusterEvent,
} from '../framework/events';
import type { QueuedPodInfo } from '../framework/interfaces';
import { PodInfo, podKey } from '../framework/pod-info';
import type { Result } from '../framework/status';
import { KeyedHeap } from './heap';
import { Nominator } from './nominator';

export interface SchedulingQueueOptions {
  /** The queue sort plugin's order (every profile uses the same one). */
  less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  /** The PreEnqueue plugins of the pod's profile. */
  preEnqueue: (pod: Pod) => Result;
  /** Events each plugin registered, by plugin name. */
  pluginEvents: ReadonlyMap<string, ClusterEvent[]>;
  clock?: Clock;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A pod unschedulable this long is tried again whatever happened (default 5 min). */
  maxInUnschedulableMs?: number;
}

type Where = 'active' | 'backoff' | 'unschedulable' | 'gated';

interface InFlight {
  qpi: QueuedPodInfo;
  /** Something happened during the attempt that could change its outcome. */
  eventsWhileInFlight: ClusterEvent[];
  deleted: boolean;
}

export class SchedulingQueue {
  readonly nominator = new Nominator();
  private readonly active: KeyedHeap<QueuedPodInfo>;
  private readonly backoff: KeyedHeap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  private readonly gated = new Map<string, QueuedPodInfo>();
  private readonly inFlight = new Map<string, InFlight>();
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxInUnschedulableMs: number;
  private schedulingCycle = 0;
  private waiter: (() => void) | undefined;
  private backoffTimer: { handle: TimerHandle; at: number } | undefined;
  private leftoverTimer: TimerHandle | undefined;
  private closed = false;
  /** How many pods each move moved, for tests and logs. */
  movedTotal = 0;

  constructor(private readonly o: SchedulingQueueOptions) {
    this.clock = o.clock ?? realClock;
    this.initialBackoffMs = o.initialBackoffMs ?? 1000;
    this.maxBackoffMs = o.maxBackoffMs ?? 10_000;
    this.maxInUnschedulableMs = o.maxInUnschedulableMs ?? 5 * 60_000;
    const key = (q: QueuedPodInfo) => q.podInfo.key;
    this.active = new KeyedHeap(key, o.less);
    this.backoff = new KeyedHeap(key, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
    this.scheduleLeftoverFlush();
  }

  /** Pending pods per queue (scheduler_pending_pods). */
  get counts(): Record<Where, number> {
    return {
      active: this.active.size,
      backoff: this.backoff.size,
      unschedulable: this.unschedulable.size,
      gated: this.gated.size,
    };
  }

  get cycle(): number {
    return this.schedulingCycle;
  }

  where(key: string): Where | 'inFlight' | undefined {
    if (this.active.has(key)) return 'active';
    if (this.backoff.has(key)) return 'backoff';
    if (this.unschedulable.has(key)) return 'unschedulable';
    if (this.gated.has(key)) return 'gated';
    if (this.inFlight.has(key)) return 'inFlight';
    return undefined;
  }

  /** A new pod to schedule. */
  add(pod: Pod): void {
    const podInfo = new PodInfo(pod);
    const now = this.clock.now();
    const qpi: QueuedPodInfo = {
      podInfo,
      timestamp: now,
      initialAttemptTimestamp: undefined,
      attempts: 0,
      unschedulablePlugins: new Set(),
    };
    this.nominator.add(podInfo);
    this.toActiveOrGated(qpi);
  }

  /** A pod waiting to be scheduled changed. */
  update(oldPod: Pod, newPod: Pod): void {
    const key = podKey(newPod);
    const flight = this.inFlight.get(key);
    if (flight) {
      // Tried right now: its outcome is moot; it goes back to be tried again.
      flight.eventsWhileInFlight.push({
        resource: 'UnscheduledPod',
        action: ActionType.UpdatePodOther,
        label: 'PodUpdate',
      });
      flight.qpi.podInfo = new PodInfo(newPod);
      this.nominator.update(flight.qpi.podInfo);
      return;
    }
    const where = this.where(key);
    if (!where || where === 'inFlight') {
      this.add(newPod);
      return;
    }
    const qpi = this.take(key, where)!;
    qpi.podInfo = new PodInfo(newPod);
    this.nominator.update(qpi.podInfo);
    if (where === 'gated') return this.toActiveOrGated(qpi);
    if (where === 'active' || where === 'backoff') return this.put(qpi, where);
    // Unschedulable: a change to anything but its status is worth another try.
    if (specOrLabelsChanged(oldPod, newPod)) {
      qpi.unschedulablePlugins.clear();
      this.put(qpi, this.isBackingOff(qpi) ? 'backoff' : 'active');
    } else this.put(qpi, 'unschedulable');
  }

  delete(pod: Pod): void {
    const key = podKey(pod);
    this.nominator.delete(key);
    const flight = this.inFlight.get(key);
    if (flight) flight.deleted = true;
    const where = this.where(key);
    if (where && where !== 'inFlight') this.take(key, where);
  }

  /** The next pod to try (undefined once closed or aborted). */
  async pop(signal?: AbortSignal): Promise<QueuedPodInfo | undefined> {
    while (this.active.size === 0) {
      if (this.closed || signal?.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        this.waiter = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      this.waiter = undefined;
    }
    if (this.closed || signal?.aborted) return undefined;
    return this.popNow();
  }

  /** The next pod to try, if one is ready now. */
  popNow(): QueuedPodInfo | undefined {
    const qpi = this.active.pop();
    if (!qpi) return undefined;
    this.schedulingCycle++;
    qpi.attempts++;
    qpi.initialAttemptTimestamp ??= this.clock.now();
    this.inFlight.set(qpi.podInfo.key, { qpi, eventsWhileInFlight: [], deleted: false });
    return qpi;
  }

  /** The attempt at this pod is over (bound, or handed back with addUnschedulable). */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /**
   * Hands back a pod whose attempt failed. Turned down by plugins (`rejected`), it waits for an
   * event those plugins registered, unless such an event already came during the attempt; after
   * an error it waits out its back-off.
   */
  addUnschedulable(qpi: QueuedPodInfo, rejected: boolean): void {
    const key = qpi.podInfo.key;
    const flight = this.inFlight.get(key);
    this.inFlight.delete(key);
    if (flight?.deleted || this.where(key)) return;
    if (flight) qpi.podInfo = flight.qpi.podInfo;
    qpi.timestamp = this.clock.now();
    const missed = (flight?.eventsWhileInFlight ?? []).some((e) => this.interested(qpi, e));
    if (!rejected || missed) this.put(qpi, this.isBackingOff(qpi) ? 'backoff' : 'active');
    else this.put(qpi, 'unschedulable');
  }

  /**
   * Something changed in the cluster: pods turned down by plugins that registered `event` move
   * to be tried again (to back-off first if theirs is not over); pods being tried remember it.
   */
  moveAllToActiveOrBackoff(event: ClusterEvent, only?: (qpi: QueuedPodInfo) => boolean): number {
    for (const f of this.inFlight.values()) f.eventsWhileInFlight.push(event);
    let moved = 0;
    for (const [key, qpi] of this.unschedulable) {
      if (only && !only(qpi)) continue;
      if (!this.interested(qpi, event)) continue;
      this.unschedulable.delete(key);
      this.put(qpi, this.isBackingOff(qpi) ? 'backoff' : 'active');
      moved++;
    }
    this.movedTotal += moved;
    return moved;
  }

  /** Stops the timers and wakes a waiting pop(), which returns undefined. */
  close(): void {
    this.closed = true;
    if (this.backoffTimer) this.clock.clearTimeout(this.backoffTimer.handle);
    if (this.leftoverTimer) this.clock.clearTimeout(this.leftoverTimer);
    this.waiter?.();
  }

  /** Pods waiting (not being tried), for tests and the pending-pods view. */
  pendingPods(): Pod[] {
    return [
      ...this.active.list(),
      ...this.backoff.list(),
      ...this.unschedulable.values(),
      ...this.gated.values(),
    ].map((q) => q.podInfo.pod);
  }

  backoffDuration(qpi: QueuedPodInfo): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < qpi.attempts; i++) {
      d *= 2;
      if (d > this.maxBackoffMs) return this.maxBackoffMs;
    }
    return d;
  }

  private backoffExpiry(qpi: QueuedPodInfo): number {
    return qpi.timestamp + this.backoffDuration(qpi);
  }

  private isBackingOff(qpi: QueuedPodInfo): boolean {
    return qpi.attempts > 0 && this.backoffExpiry(qpi) > this.clock.now();
  }

  private interested(qpi: QueuedPodInfo, event: ClusterEvent): boolean {
    if (event.resource === '*') return true;
    if (qpi.unschedulablePlugins.size === 0) return true;
    for (const plugin of qpi.unschedulablePlugins) {
      for (const registered of this.o.pluginEvents.get(plugin) ?? [])
        if (eventMatches(registered, event)) return true;
    }
    return false;
  }

  private toActiveOrGated(qpi: QueuedPodInfo): void {
    const gate = this.o.preEnqueue(qpi.podInfo.pod);
    if (gate) {
      qpi.gatingPlugin = gate.plugin;
      qpi.unschedulablePlugins = new Set([gate.plugin]);
      this.put(qpi, 'gated');
      return;
    }
    qpi.gatingPlugin = undefined;
    this.put(qpi, 'active');
  }

  private put(qpi: QueuedPodInfo, where: Where): void {
    const key = qpi.podInfo.key;
    switch (where) {
      case 'active':
        this.active.addOrUpdate(qpi);
        this.waiter?.();
        return;
      case 'backoff':
        this.backoff.addOrUpdate(qpi);
        this.armBackoffTimer();
        return;
      case 'unschedulable':
        this.unschedulable.set(key, qpi);
        return;
      case 'gated':
        this.gated.set(key, qpi);
        return;
    }
  }

  private take(key: string, where: Where): QueuedPodInfo | undefined {
    switch (where) {
      case 'active':
        return this.active.delete(key);
      case 'backoff':
        return this.backoff.delete(key);
      case 'unschedulable': {
        const q = this.unschedulable.get(key);
        this.unschedulable.delete(key);
        return q;
      }
      case 'gated': {
        const q = this.gated.get(key);
        this.gated.delete(key);
        return q;
      }
    }
  }

  /** One timer, for the earliest back-off to end (not a poll). */
  private armBackoffTimer(): void {
    if (this.closed) return;
    const head = this.backoff.peek();
    if (!head) return;
    const at = this.backoffExpiry(head);
    if (this.backoffTimer && this.backoffTimer.at <= at) return;
    if (this.backoffTimer) this.clock.clearTimeout(this.backoffTimer.handle);
    const handle = this.clock.setTimeout(() => {
      this.backoffTimer = undefined;
      this.flushBackoffCompleted();
    }, at - this.clock.now());
    this.backoffTimer = { handle, at };
  }

  /** Pods whose back-off is over go to the active heap. */
  flushBackoffCompleted(): void {
    const now = this.clock.now();
    for (
      let head = this.backoff.peek();
      head && this.backoffExpiry(head) <= now;
      head = this.backoff.peek()
    ) {
      this.backoff.pop();
      this.put(head, 'active');
    }
    this.armBackoffTimer();
  }

  /** Pods unschedulable for too long are tried again (every 30 s, as kube-scheduler). */
  private scheduleLeftoverFlush(): void {
    this.leftoverTimer = this.clock.setTimeout(() => {
      if (this.closed) return;
      this.flushUnschedulableLeftover();
      this.scheduleLeftoverFlush();
    }, 30_000);
  }

  flushUnschedulableLeftover(): void {
    const now = this.clock.now();
    const old = new Set<string>();
    for (const [key, qpi] of this.unschedulable)
      if (now - qpi.timestamp > this.maxInUnschedulableMs) old.add(key);
    if (old.size > 0)
      this.moveAllToActiveOrBackoff(UNSCHEDULABLE_TIMEOUT, (q) => old.has(q.podInfo.key));
  }
}

/** Whether a pod changed in more than its status and bookkeeping metadata. */
export function specOrLabelsChanged(a: Pod, b: Pod): boolean {
  if (a.spec !== b.spec && JSON.stringify(a.spec) !== JSON.stringify(b.spec)) return true;
  const ma = a.metadata;
  const mb = b.metadata;
  return (
    JSON.stringify(ma.labels ?? {}) !== JSON.stringify(mb.labels ?? {}) ||
    JSON.stringify(ma.annotations ?? {}) !== JSON.stringify(mb.annotations ?? {})
  );
}
