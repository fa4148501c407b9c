// The ServiceAccount controller (kube's pkg/controller/serviceaccount): every active namespace
// has a ServiceAccount named `default`; one deleted is made again.
import { isApiError, type KubeObject } from '@flotilla/api';
import {
  finalStateOf,
  type Namespace,
  type SharedInformer,
  type WorkQueue,
} from '@flotilla/client';
import type { Controller, ControllerContext, ControllerFactory } from '../controller';
import { controllerQueue, runQueueLoop } from '../common/queue-controller';
import { NAMESPACES, SERVICE_ACCOUNTS } from '../common/resources';

export const DEFAULT_SERVICE_ACCOUNTS: readonly string[] = ['default'];

export class ServiceAccountController implements Controller {
  readonly name = 'serviceaccount';
  private ctx!: ControllerContext;
  private queue!: WorkQueue<string>;
  private namespaces!: SharedInformer<Namespace>;
  private accounts!: SharedInformer<KubeObject>;

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    this.ctx = ctx;
    this.queue = controllerQueue(ctx, 'serviceaccount');
    this.namespaces = ctx.informers.informerFor<Namespace>(NAMESPACES);
    this.accounts = ctx.informers.informerFor(SERVICE_ACCOUNTS);
    const handlers = [
      this.namespaces.addEventHandler({
        onAdd: (ns) => this.queue.add(ns.metadata.name!),
        onUpdate: (_o, ns) => this.queue.add(ns.metadata.name!),
      }),
      this.accounts.addEventHandler({
        onDelete: (d) => {
          const sa = finalStateOf(d);
          if (sa.metadata.namespace) this.queue.add(sa.metadata.namespace);
        },
      }),
    ];
    await runQueueLoop(ctx, signal, {
      queue: this.queue,
      informers: [this.namespaces, this.accounts] as unknown as SharedInformer<KubeObject>[],
      handlers,
      workers: 1,
      sync: (ns) => this.sync(ns),
    });
  }

  private async sync(namespace: string): Promise<void> {
    const ns = this.namespaces.lister.get(namespace);
    if (!ns || ns.metadata.deletionTimestamp || (ns.status?.phase ?? 'Active') !== 'Active') return;
    for (const name of DEFAULT_SERVICE_ACCOUNTS) {
      if (this.accounts.lister.get(name, namespace)) continue;
      try {
        await this.ctx.client
          .forResource('serviceaccounts', '', namespace)
          .create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
      } catch (err) {
        if (isApiError(err) && err.code === 409) continue; // made meanwhile
        if (isApiError(err) && err.code === 403) return; // the namespace is being deleted
        throw err;
      }
    }
  }
}

export const serviceAccountControllerFactory: ControllerFactory = {
  name: 'serviceaccount',
  enabledByDefault: true,
  create: () => new ServiceAccountController(),
};
