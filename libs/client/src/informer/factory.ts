// One informer (so one list and one watch) per resource, namespace and selector in a process,
// however many controllers ask for it (client-go's SharedInformerFactory).
import type { KubeObject, ResourceInfo } from '@flotilla/api';
import type { Clock } from '../clock';
import type { ListerWatcher } from '../contract';
import type { Indexers } from './indexer';
import type { ReflectorPhase } from './reflector';
import { SharedInformer } from './shared-informer';
import type { ObjectTransform } from './transform';

export interface InformerRequest<T extends KubeObject = KubeObject> {
  /** One namespace, or all (the default, and the only choice for cluster-scoped resources). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Indices the caller needs; added to the shared informer's. */
  indexers?: Indexers<T>;
}

export interface SharedInformerFactoryOptions {
  /** How to list and watch a resource: usually `(info, ns) => client.resource(info, ns)`. */
  listerWatcher: (info: ResourceInfo, namespace: string | undefined) => ListerWatcher;
  clock?: Clock;
  random?: () => number;
  /** Items per list page (default 500). */
  pageSize?: number;
  onError?: (err: unknown, resource: string, phase: ReflectorPhase) => void;
  onHandlerError?: (err: unknown, resource: string) => void;
  /**
   * Applied to every object of every informer before it is cached (client-go's WithTransform),
   * e.g. stripManagedFields: shared informers serve every controller, so it is the factory's.
   */
  transform?: ObjectTransform;
  /** False: objects are cached unfrozen (see ReflectorOptions.freeze). Default true. */
  freeze?: boolean;
}

export class SharedInformerFactory {
  private readonly informers = new Map<string, SharedInformer>();
  private started = false;

  constructor(private readonly opts: SharedInformerFactoryOptions) {}

  /** The shared informer for `info` (and namespace and selectors); made on first request. */
  informerFor<T extends KubeObject = KubeObject>(
    info: ResourceInfo,
    req: InformerRequest<T> = {},
  ): SharedInformer<T> {
    const namespace = info.namespaced ? req.namespace || undefined : undefined;
    const key = [
      info.group,
      info.version,
      info.plural,
      namespace ?? '',
      req.labelSelector ?? '',
      req.fieldSelector ?? '',
    ].join('|');
    let informer = this.informers.get(key) as SharedInformer<T> | undefined;
    if (!informer) {
      const name = describe(info, namespace, req);
      informer = new SharedInformer<T>(
        this.opts.listerWatcher(info, namespace) as ListerWatcher<T>,
        {
          name,
          labelSelector: req.labelSelector,
          fieldSelector: req.fieldSelector,
          indexers: req.indexers,
          clock: this.opts.clock,
          random: this.opts.random,
          pageSize: this.opts.pageSize,
          transform: this.opts.transform,
          freeze: this.opts.freeze,
          onError: (err, phase) => this.opts.onError?.(err, name, phase),
          onHandlerError: (err) => this.opts.onHandlerError?.(err, name),
        },
      );
      this.informers.set(key, informer as unknown as SharedInformer);
      if (this.started) informer.start();
    } else if (req.indexers) {
      informer.addIndexers(req.indexers);
    }
    return informer;
  }

  /** Starts every informer made so far, and any made later as soon as it is made. */
  start(): void {
    this.started = true;
    for (const i of this.informers.values()) i.start();
  }

  /** Resolves true when every informer has synced; false if one did not in time. */
  async waitForCacheSync(
    opts: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(opts)));
    return results.every(Boolean);
  }

  /** Stops every informer. */
  shutdown(): void {
    for (const i of this.informers.values()) i.stop();
  }

  get size(): number {
    return this.informers.size;
  }
}

function describe(
  info: ResourceInfo,
  namespace: string | undefined,
  req: InformerRequest<never>,
): string {
  const what = info.group ? `${info.plural}.${info.group}` : info.plural;
  const where = namespace ? ` in ${namespace}` : '';
  const sel = [req.labelSelector, req.fieldSelector].filter(Boolean).join(',');
  return `${what}${where}${sel ? ` (${sel})` : ''}`;
}
