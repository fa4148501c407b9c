// The resource quota controller (kube's pkg/controller/resourcequota): keeps each quota's
// status.hard and status.used true to what its namespace holds, so usage the API server's
// admission charged for objects that were never written, or that are gone, is given back.
import {
  cloneJson,
  formatQuantity,
  isApiError,
  jsonEqual,
  quotaUsageOf,
  type KubeObject,
  type ResourceInfo,
} from '@flotilla/api';
import { finalStateOf, objectKey, type SharedInformer, type WorkQueue } from '@flotilla/client';
import type { Controller, ControllerContext, ControllerFactory } from '../controller';
import { controllerQueue, runQueueLoop } from '../common/queue-controller';
import { CONFIGMAPS, PODS, PVCS, RESOURCE_QUOTAS, SECRETS, SERVICES } from '../common/resources';
import { integerFlag, readIntegerFlag } from '../flags';

export const CONCURRENT_RESOURCEQUOTA_SYNCS = integerFlag(
  'concurrent-resource-quota-syncs',
  5,
  'ResourceQuotas synced at once by the resourcequota controller',
);

/** The kinds whose objects quotas count here. */
const TRACKED: readonly ResourceInfo[] = [PODS, SERVICES, CONFIGMAPS, SECRETS, PVCS];

type Quota = KubeObject & {
  spec?: { hard?: Record<string, string> };
  status?: { hard?: Record<string, string>; used?: Record<string, string> };
};

function isTerminal(o: KubeObject): boolean {
  const phase = (o.status as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export class ResourceQuotaController implements Controller {
  readonly name = 'resourcequota';
  private ctx!: ControllerContext;
  private queue!: WorkQueue<string>;
  private quotas!: SharedInformer<Quota>;
  private tracked = new Map<ResourceInfo, SharedInformer<KubeObject>>();

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    this.queue = controllerQueue(ctx, 'resourcequota');
    this.quotas = ctx.informers.informerFor<Quota>(RESOURCE_QUOTAS);
    const touched = (o: KubeObject) => {
      for (const q of this.quotas.lister.listInNamespace(o.metadata.namespace ?? ''))
        this.queue.add(objectKey(q));
    };
    const handlers = [
      this.quotas.addEventHandler({
        onAdd: (q) => this.queue.add(objectKey(q)),
        onUpdate: (o, q) => {
          if (!jsonEqual(o.spec, q.spec)) this.queue.add(objectKey(q));
        },
      }),
    ];
    for (const r of TRACKED) {
      const informer = ctx.informers.informerFor<KubeObject>(r);
      this.tracked.set(r, informer);
      handlers.push(
        // Admission charges new objects; this gives usage back (kube's replenishment): when an
        // object goes, or a pod finishes. Recounting on every add would race admission's charge
        // with an informer that has not seen the new object yet.
        informer.addEventHandler({
          onUpdate: (old, cur) => {
            if (r === PODS && !isTerminal(old) && isTerminal(cur)) touched(cur);
          },
          onDelete: (d) => touched(finalStateOf(d)),
        }),
      );
    }
    await runQueueLoop(ctx, signal, {
      queue: this.queue,
      informers: [this.quotas as unknown as SharedInformer<KubeObject>, ...this.tracked.values()],
      handlers,
      workers: readIntegerFlag(ctx.flags, CONCURRENT_RESOURCEQUOTA_SYNCS),
      sync: (key) => this.sync(key),
    });
  }

  private async sync(key: string): Promise<void> {
    const cached = this.quotas.lister.getByKey(key);
    if (!cached) return;
    const quota = cloneJson(cached);
    const hard = quota.spec?.hard ?? {};
    const totals: Record<string, number> = Object.fromEntries(Object.keys(hard).map((k) => [k, 0]));
    // Counted from a fresh read, not the informers: a lagging cache would give back usage that
    // admission has just charged for an object it has not shown yet.
    for (const r of this.tracked.keys()) {
      const items = (await this.ctx.client.resource(r, quota.metadata.namespace).list()).items;
      for (const o of items) {
        const usage = quotaUsageOf(r, o);
        for (const k of Object.keys(totals)) totals[k] += usage[k] ?? 0;
      }
    }
    const status = {
      hard: { ...hard },
      used: Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, formatQuantity(v)])),
    };
    if (jsonEqual(status, quota.status ?? {})) return;
    try {
      await this.ctx.client
        .forKind<Quota>('v1', 'ResourceQuota', quota.metadata.namespace)
        .updateStatus({ ...quota, apiVersion: 'v1', kind: 'ResourceQuota', status });
    } catch (err) {
      if (isApiError(err) && err.code === 404) return;
      throw err;
    }
  }
}

export const resourceQuotaControllerFactory: ControllerFactory = {
  name: 'resourcequota',
  enabledByDefault: true,
  flags: [CONCURRENT_RESOURCEQUOTA_SYNCS],
  create: () => new ResourceQuotaController(),
};
