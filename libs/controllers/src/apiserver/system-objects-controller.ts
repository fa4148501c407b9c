// Objects every cluster has, made again whenever they are missing: the system namespaces
// (kube-apiserver's system-namespaces controller, and the kubernetes service controller's
// `default`) and the system PriorityClasses (its bootstrap-system-priority-classes hook). Every
// master runs these; a create that finds the object made by another master is fine.
import {
  isApiError,
  SYSTEM_PRIORITY_CLASSES,
  systemPriorityClass,
  type KubeObject,
  type ResourceInfo,
} from '@flotilla/api';
import { finalStateOf, type SharedInformer, type WorkQueue } from '@flotilla/client';
import type { Controller, ControllerContext } from '../controller';
import { controllerQueue, runQueueLoop } from '../common/queue-controller';
import { NAMESPACES, PRIORITY_CLASSES } from '../common/resources';

export const SYSTEM_NAMESPACES: readonly string[] = [
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
];

/** Keeps the named cluster-scoped objects of one resource in existence. */
export class SystemObjectsController implements Controller {
  private queue!: WorkQueue<string>;
  private informer!: SharedInformer<KubeObject>;

  constructor(
    readonly name: string,
    private readonly resource: ResourceInfo,
    private readonly bodies: ReadonlyMap<string, () => KubeObject>,
  ) {}

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    this.queue = controllerQueue(ctx, this.name);
    this.informer = ctx.informers.informerFor(this.resource);
    const handlers = [
      this.informer.addEventHandler({
        onDelete: (d) => {
          const name = finalStateOf(d).metadata.name ?? '';
          if (this.bodies.has(name)) this.queue.add(name);
        },
      }),
    ];
    for (const name of this.bodies.keys()) this.queue.add(name);
    await runQueueLoop(ctx, signal, {
      queue: this.queue,
      informers: [this.informer],
      handlers,
      workers: 1,
      sync: (name) => this.sync(ctx, name),
    });
  }

  private async sync(ctx: ControllerContext, name: string): Promise<void> {
    if (this.informer.lister.get(name)) return;
    const body = this.bodies.get(name);
    if (!body) return;
    try {
      await ctx.client.resource(this.resource).create(body());
      ctx.log.info('created', { resource: this.resource.plural, name });
    } catch (err) {
      if (isApiError(err) && err.code === 409) return; // another master, or our cache lagged
      throw err;
    }
  }
}

export function systemNamespacesController(): SystemObjectsController {
  const bodies = new Map(
    SYSTEM_NAMESPACES.map((name) => [
      name,
      (): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
    ]),
  );
  return new SystemObjectsController('system-namespaces', NAMESPACES, bodies);
}

export function systemPriorityClassesController(): SystemObjectsController {
  const bodies = new Map(
    SYSTEM_PRIORITY_CLASSES.map(({ name }) => [name, () => systemPriorityClass(name)!]),
  );
  return new SystemObjectsController('system-priority-classes', PRIORITY_CLASSES, bodies);
}
