// The namespace controller (kube-controller-manager's namespace): a namespace being deleted
// (Terminating) is emptied, resource by resource, of everything the server serves in it; its
// status conditions say what is left and why; once nothing is left the `kubernetes` finalizer is
// removed through namespaces/<n>/finalize, and the API server lets the namespace go. Content
// that takes time (pods in their grace period, objects held by finalizers) is checked again later.
import { findResource, isApiError, jsonEqual } from '@flotilla/api';
import { runWorkers, WorkQueue, type Namespace, type SharedInformer } from '@flotilla/client';
import type { Controller, ControllerContext } from '../controller';
import { FlagValues } from '../flag-values';
import { abortOf } from '../signals';
import { deleteNamespaceContent } from './content-deleter';
import { discoverNamespacedResources } from './discover-resources';
import { deletionConditions, mergeConditions } from './namespace-conditions';

const NAMESPACES = findResource('', 'v1', 'namespaces')!;
export const KUBERNETES_FINALIZER = 'kubernetes';
/** How soon a namespace with content left (but no pod grace period to wait for) is tried again. */
const RECHECK_MS = 2000;

export interface NamespaceSettings {
  workers: number;
  resyncMs: number;
}

export function namespaceSettings(flags: ReadonlyMap<string, string>): NamespaceSettings {
  const f = new FlagValues(flags);
  return {
    workers: f.integer('concurrent-namespace-syncs', 10, 1),
    resyncMs: f.duration('namespace-sync-period', 5 * 60_000, 1000),
  };
}

export class NamespaceController implements Controller {
  readonly name = 'namespace';

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    await new NamespaceRun(ctx, namespaceSettings(ctx.flags)).run(signal);
  }
}

const deleting = (ns: Namespace) => Boolean(ns.metadata.deletionTimestamp);
const nowText = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class NamespaceRun {
  private readonly namespaces: SharedInformer<Namespace>;
  private readonly queue: WorkQueue<string>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly settings: NamespaceSettings,
  ) {
    this.namespaces = ctx.informers.informerFor<Namespace>(NAMESPACES);
    this.queue = new WorkQueue<string>({
      name: 'namespace',
      registry: ctx.metrics,
      clock: ctx.clock,
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    const seen = (ns: Namespace) => {
      if (deleting(ns)) this.queue.add(ns.metadata.name!);
    };
    const handler = this.namespaces.addEventHandler(
      { onAdd: seen, onUpdate: (_old, ns) => seen(ns) },
      { resyncMs: this.settings.resyncMs },
    );
    try {
      this.ctx.informers.start();
      if (!(await this.namespaces.waitForSync({ signal })) || signal.aborted) return;
      for (const ns of this.namespaces.lister.list()) seen(ns);
      const workers = runWorkers(this.queue, this.settings.workers, (name) => this.sync(name), {
        onError: (err, name) =>
          this.ctx.log.warn('namespace not emptied yet; retrying', {
            namespace: name,
            err: String(err),
          }),
      });
      await abortOf(signal);
      this.queue.shutDown();
      await workers;
    } finally {
      this.queue.shutDown();
      handler.remove();
    }
  }

  async sync(name: string): Promise<void> {
    const nss = this.ctx.client.namespaces();
    let ns: Namespace;
    try {
      ns = await nss.get(name);
    } catch (err) {
      if (isApiError(err) && err.status.code === 404) return;
      throw err;
    }
    if (!deleting(ns) || !(ns.spec?.finalizers ?? []).includes(KUBERNETES_FINALIZER)) return;

    const discovered = await discoverNamespacedResources(this.ctx.client);
    const now = this.ctx.clock.now();
    const outcome = await deleteNamespaceContent(this.ctx.client, name, discovered.resources, now);
    ns = await this.report(
      ns,
      deletionConditions({ discoveryFailures: discovered.failures, outcome }),
    );

    if (discovered.failures.length > 0 || outcome.failures.length > 0) {
      throw new Error(
        `namespace ${name}: ${[...discovered.failures, ...outcome.failures].join('; ')}`,
      );
    }
    if (outcome.remaining.size > 0) {
      // Not an error: pods finishing their grace period, objects waiting for their finalizers.
      const wait = Math.max(RECHECK_MS, outcome.estimateMs);
      this.queue.addAfter(name, wait);
      this.ctx.log.info('namespace content remaining', {
        namespace: name,
        remaining: Object.fromEntries(outcome.remaining),
        recheckInMs: wait,
      });
      return;
    }
    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== KUBERNETES_FINALIZER);
    try {
      await nss.finalize({ ...ns, spec: { ...ns.spec, finalizers } });
      this.ctx.log.info('namespace emptied and finalized', { namespace: name });
    } catch (err) {
      if (isApiError(err) && err.status.code === 404) return;
      throw err;
    }
  }

  /** Writes phase Terminating and the deletion conditions, when they change. */
  private async report(
    ns: Namespace,
    conditions: ReturnType<typeof deletionConditions>,
  ): Promise<Namespace> {
    const merged = mergeConditions(
      ns.status?.conditions,
      conditions,
      nowText(this.ctx.clock.now()),
    );
    if (ns.status?.phase === 'Terminating' && jsonEqual(ns.status?.conditions ?? [], merged)) {
      return ns;
    }
    try {
      return await this.ctx.client.namespaces().updateStatus({
        ...ns,
        status: { ...ns.status, phase: 'Terminating', conditions: merged },
      });
    } catch (err) {
      // Changed meanwhile: the next pass reports again; the finalize write below re-reads.
      if (isApiError(err) && err.status.code === 409)
        return this.ctx.client.namespaces().get(ns.metadata.name!);
      throw err;
    }
  }
}
