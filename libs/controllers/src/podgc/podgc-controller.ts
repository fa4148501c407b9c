// The pod garbage collector (kube-controller-manager's podgc): every 20 s it
//  - deletes the oldest finished (Succeeded/Failed) pods above --terminated-pod-gc-threshold;
//  - force-deletes pods bound to a node that no longer exists (after the node has been missing
//    for a 40 s quarantine and the API server confirms it is gone: an informer may lag a node
//    just created), marking them Failed first, terminating ones included;
//  - force-deletes terminating pods never scheduled (no kubelet will ever finish them);
//  - force-deletes terminating pods on a node that is not ready and tainted out-of-service.
import { findResource, isApiError } from '@flotilla/api';
import { sleep, type Node, type Pod, type SharedInformer } from '@flotilla/client';
import type { Controller, ControllerContext } from '../controller';
import { FlagValues } from '../flag-values';
import { parallelize } from '../parallel';
import { counterOn } from '../registered-metrics';
import { isPodTerminal, isPodTerminating } from '../service-endpoints/pod-endpoints';

const PODS = findResource('', 'v1', 'pods')!;
const NODES = findResource('', 'v1', 'nodes')!;
export const GC_CHECK_PERIOD_MS = 20_000;
export const QUARANTINE_MS = 40_000;
const OUT_OF_SERVICE_TAINT = 'node.kubernetes.io/out-of-service';
const PARALLELISM = 8;

export interface PodGcSettings {
  /** 0: finished pods are never collected for their number. */
  terminatedThreshold: number;
}

export function podGcSettings(flags: ReadonlyMap<string, string>): PodGcSettings {
  return {
    terminatedThreshold: new FlagValues(flags).integer('terminated-pod-gc-threshold', 12500, 0),
  };
}

export class PodGcController implements Controller {
  readonly name = 'podgc';

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    await new PodGcRun(ctx, podGcSettings(ctx.flags)).run(signal);
  }
}

const isReady = (node: Node) =>
  (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const created = (p: Pod) => Date.parse(p.metadata.creationTimestamp ?? '') || 0;
/** Oldest first; creation times have one-second resolution, so names break ties. */
const oldestFirst = (a: Pod, b: Pod) =>
  created(a) - created(b) || (a.metadata.name! < b.metadata.name! ? -1 : 1);
const WHY: Record<string, string> = {
  orphaned: 'PodGC: node no longer exists',
  'out-of-service': 'PodGC: node is out of service',
  'unscheduled-terminating': 'PodGC: terminating pod never scheduled',
};

export class PodGcRun {
  private readonly pods: SharedInformer<Pod>;
  private readonly nodes: SharedInformer<Node>;
  /** Node name → when this controller first saw pods bound to it while it was missing. */
  private readonly missingSince = new Map<string, number>();
  private readonly deleted;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly settings: PodGcSettings,
  ) {
    this.pods = ctx.informers.informerFor<Pod>(PODS);
    this.nodes = ctx.informers.informerFor<Node>(NODES);
    this.deleted = counterOn(
      ctx.metrics,
      'pod_gc_collector_force_delete_pods_total',
      'Pods deleted by the pod garbage collector, by reason.',
      ['reason'],
    );
  }

  async run(signal: AbortSignal): Promise<void> {
    this.ctx.informers.start();
    const synced = await Promise.all([
      this.pods.waitForSync({ signal }),
      this.nodes.waitForSync({ signal }),
    ]);
    if (!synced.every(Boolean)) return;
    while (!signal.aborted) {
      try {
        await this.gc(signal);
      } catch (err) {
        this.ctx.log.warn('pod garbage collection pass failed', { err: String(err) });
      }
      await sleep(this.ctx.clock, GC_CHECK_PERIOD_MS, signal);
    }
  }

  /** One pass. */
  async gc(signal?: AbortSignal): Promise<void> {
    const pods = this.pods.lister.list();
    await this.gcTerminated(pods);
    if (signal?.aborted) return;
    await this.gcOrphaned(pods);
    if (signal?.aborted) return;
    await this.gcTerminating(pods);
  }

  private async gcTerminated(pods: Pod[]): Promise<void> {
    const threshold = this.settings.terminatedThreshold;
    if (threshold <= 0) return;
    const finished = pods.filter(isPodTerminal);
    const excess = finished.length - threshold;
    if (excess <= 0) return;
    finished.sort(oldestFirst);
    this.ctx.log.info('deleting finished pods above the threshold', { count: excess, threshold });
    await parallelize(finished.slice(0, excess), PARALLELISM, (p) =>
      this.forceDelete(p, 'terminated', false),
    );
  }

  private async gcOrphaned(pods: Pod[]): Promise<void> {
    const now = this.ctx.clock.now();
    const missing = new Set<string>();
    for (const p of pods) {
      const node = p.spec?.nodeName;
      if (node && !this.nodes.lister.get(node)) missing.add(node);
    }
    for (const name of this.missingSince.keys())
      if (!missing.has(name)) this.missingSince.delete(name);
    const gone = new Set<string>();
    for (const name of missing) {
      const since = this.missingSince.get(name);
      if (since === undefined) {
        this.missingSince.set(name, now);
        continue;
      }
      if (now - since < QUARANTINE_MS) continue;
      if (await this.confirmedGone(name)) gone.add(name);
      else this.missingSince.delete(name);
    }
    if (gone.size === 0) return;
    const orphans = pods.filter((p) => gone.has(p.spec?.nodeName ?? ''));
    this.ctx.log.info('deleting pods bound to nodes that are gone', {
      nodes: [...gone],
      pods: orphans.length,
    });
    await parallelize(orphans, PARALLELISM, (p) => this.forceDelete(p, 'orphaned', true));
  }

  /** The informer may lag: ask the API server before calling a node gone. */
  private async confirmedGone(name: string): Promise<boolean> {
    try {
      await this.ctx.client.nodes().get(name);
      return false;
    } catch (err) {
      if (isApiError(err) && err.status.code === 404) return true;
      throw err;
    }
  }

  private async gcTerminating(pods: Pod[]): Promise<void> {
    const stuck = pods.filter((p) => {
      if (!isPodTerminating(p)) return false;
      const nodeName = p.spec?.nodeName;
      if (!nodeName) return true; // never scheduled: no kubelet will finish it
      const node = this.nodes.lister.get(nodeName);
      if (!node || isReady(node)) return false;
      return (node.spec?.taints ?? []).some(
        (t) => t.key === OUT_OF_SERVICE_TAINT && t.effect === 'NoExecute',
      );
    });
    await parallelize(stuck, PARALLELISM, (p) =>
      this.forceDelete(p, p.spec?.nodeName ? 'out-of-service' : 'unscheduled-terminating', true),
    );
  }

  /** Deletes `pod` at once (grace 0), first marking a running one Failed when `markFailed`. */
  private async forceDelete(pod: Pod, reason: string, markFailed: boolean): Promise<void> {
    const pods = this.ctx.client.pods(pod.metadata.namespace);
    const name = pod.metadata.name!;
    try {
      if (markFailed && !isPodTerminal(pod)) {
        await pods.patchStatus(
          name,
          {
            status: {
              phase: 'Failed',
              conditions: [
                ...(pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'),
                {
                  type: 'DisruptionTarget',
                  status: 'True',
                  reason: 'DeletionByPodGC',
                  message: WHY[reason] ?? 'PodGC',
                  lastTransitionTime: new Date(this.ctx.clock.now())
                    .toISOString()
                    .replace(/\.\d{3}Z$/, 'Z'),
                },
              ],
            },
          },
          'merge',
        );
      }
      await pods.delete(name, {
        gracePeriodSeconds: 0,
        preconditions: pod.metadata.uid ? { uid: pod.metadata.uid } : undefined,
      });
      this.deleted.inc({ reason });
      this.ctx.log.info('pod deleted', { pod: `${pod.metadata.namespace}/${name}`, reason });
    } catch (err) {
      if (isApiError(err) && (err.status.code === 404 || err.status.code === 409)) return;
      this.ctx.log.warn('pod not deleted', {
        pod: `${pod.metadata.namespace}/${name}`,
        err: String(err),
      });
    }
  }
}
