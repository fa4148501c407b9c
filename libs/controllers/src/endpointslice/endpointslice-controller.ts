// The EndpointSlice controller (kube-controller-manager's endpointslice): for every Service with
// a selector, discovery.k8s.io/v1 EndpointSlices listing its pods: one IPv4 address each, ready /
// serving / terminating conditions, nodeName and zone, the hostname of pods that name a headless
// Service as their subdomain, named ports resolved per pod (pods that resolve them differently go
// in different slices), at most --max-endpoints-per-slice endpoints a slice. It touches only the
// slices labelled as managed by it: Services without a selector (the `kubernetes` Service among
// them) keep whatever slices their owners write.
import { findResource, isApiError, type KubeObject } from '@flotilla/api';
import {
  finalStateOf,
  objectKey,
  runWorkers,
  splitKey,
  WorkQueue,
  type EndpointSlice,
  type EventRecorder,
  type HandlerRegistration,
  type Node,
  type Pod,
  type Service,
  type SharedInformer,
} from '@flotilla/client';
import type { Controller, ControllerContext } from '../controller';
import { FlagValues } from '../flag-values';
import { counterOn } from '../registered-metrics';
import { abortOf } from '../signals';
import {
  byName,
  endpointLabels,
  hostnameFor,
  isPodReady,
  isPodTerminating,
  LABEL_SERVICE_NAME,
  LABEL_ZONE,
  podIPv4s,
  podPorts,
  podRef,
  serviceSelector,
  shouldPodBeInEndpoints,
} from '../service-endpoints/pod-endpoints';
import {
  NODES,
  queueServicesOnEvents,
  servicePodInformers,
  servicesOnNode,
  type ServicePodInformers,
} from '../service-endpoints/service-pod-events';
import {
  CONTROLLER_NAME,
  MANAGED_BY_LABEL,
  portKey,
  reconcileSlices,
  type Endpoint,
  type PortGroup,
  type SlicePlan,
} from './reconcile';
import { SliceTracker } from './slice-tracker';

const SLICES = findResource('discovery.k8s.io', 'v1', 'endpointslices')!;
const BY_SERVICE = 'endpointslice.service';
/** Syncs that may find the cache behind before the API server is asked instead. */
const STALE_RETRIES = 8;

export interface EndpointSliceSettings {
  maxEndpointsPerSlice: number;
  workers: number;
}

export function endpointSliceSettings(flags: ReadonlyMap<string, string>): EndpointSliceSettings {
  const f = new FlagValues(flags);
  return {
    maxEndpointsPerSlice: f.integer('max-endpoints-per-slice', 100, 1, 1000),
    workers: f.integer('concurrent-service-endpoint-syncs', 5, 1),
  };
}

/** The cache lags this controller's own writes: try again once it has caught up. */
class StaleCacheError extends Error {}

const sliceServiceKey = (slice: EndpointSlice): string[] => {
  const svc = slice.metadata.labels?.[LABEL_SERVICE_NAME];
  return svc ? [`${slice.metadata.namespace}/${svc}`] : [];
};

export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice';

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    await new EndpointSliceRun(ctx, endpointSliceSettings(ctx.flags)).run(signal);
  }
}

/** The pod as an EndpointSlice endpoint of `service`. */
export function podEndpoint(pod: Pod, service: Service, node: Node | undefined): Endpoint {
  const serving = service.spec?.publishNotReadyAddresses === true || isPodReady(pod);
  const terminating = isPodTerminating(pod);
  // Ready is never true for a terminating pod, unless the Service publishes not-ready addresses.
  const ready = service.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const hostname = hostnameFor(pod, service);
  const zone = node?.metadata.labels?.[LABEL_ZONE];
  return {
    addresses: [podIPv4s(pod)[0]],
    conditions: { ready, serving, terminating },
    ...(hostname ? { hostname } : {}),
    targetRef: podRef(pod),
    ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    ...(zone ? { zone } : {}),
  };
}

export class EndpointSliceRun {
  private readonly inf: ServicePodInformers;
  private readonly nodes: SharedInformer<Node>;
  private readonly slices: SharedInformer<EndpointSlice>;
  private readonly queue: WorkQueue<string>;
  /** What this run wrote (read by tests that play a cache which never catches up). */
  readonly tracker = new SliceTracker();
  private readonly recorder: EventRecorder;
  private readonly changes;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly settings: EndpointSliceSettings,
  ) {
    this.inf = servicePodInformers(ctx.informers);
    this.nodes = ctx.informers.informerFor<Node>(NODES);
    this.slices = ctx.informers.informerFor<EndpointSlice>(SLICES, {
      labelSelector: `${MANAGED_BY_LABEL}=${CONTROLLER_NAME}`,
      indexers: { [BY_SERVICE]: sliceServiceKey },
    });
    this.queue = new WorkQueue<string>({
      name: 'endpoint_slice',
      registry: ctx.metrics,
      clock: ctx.clock,
    });
    this.recorder = ctx.recorder('endpoint-slice-controller');
    this.changes = counterOn(
      ctx.metrics,
      'endpoint_slice_controller_changes',
      'EndpointSlice changes written, by operation.',
      ['operation'],
    );
  }

  async run(signal: AbortSignal): Promise<void> {
    const enqueue = (key: string) => this.queue.add(key);
    const handlers: HandlerRegistration[] = [
      ...queueServicesOnEvents(this.inf, enqueue),
      this.slices.addEventHandler({
        onAdd: (s) => this.sliceChanged(s),
        onUpdate: (_old, s) => this.sliceChanged(s),
        onDelete: (d) => this.sliceDeleted(finalStateOf(d)),
      }),
      // An endpoint carries its node's zone: a node that appears or changes zone moves them.
      this.nodes.addEventHandler({
        onAdd: (n) => this.nodeZoneChanged(n),
        onUpdate: (old, n) => {
          if (old.metadata.labels?.[LABEL_ZONE] !== n.metadata.labels?.[LABEL_ZONE]) {
            this.nodeZoneChanged(n);
          }
        },
      }),
    ];
    try {
      this.ctx.informers.start();
      const synced = await Promise.all(
        [this.inf.services, this.inf.pods, this.nodes, this.slices].map((i) =>
          i.waitForSync({ signal }),
        ),
      );
      if (!synced.every(Boolean) || signal.aborted) return;
      for (const svc of this.inf.services.lister.list()) enqueue(objectKey(svc));
      const workers = runWorkers(this.queue, this.settings.workers, (key) => this.sync(key), {
        onError: (err, key) => {
          if (err instanceof StaleCacheError) return;
          this.ctx.log.warn('endpoint slices not synced; retrying', {
            service: key,
            err: String(err),
          });
        },
      });
      await abortOf(signal);
      this.queue.shutDown();
      await workers;
    } finally {
      this.queue.shutDown();
      for (const h of handlers) h.remove();
    }
  }

  private nodeZoneChanged(node: Node): void {
    if (!this.inf.pods.hasSynced()) return; // the start-up pass syncs every Service
    for (const key of servicesOnNode(this.inf, node.metadata.name!)) this.queue.add(key);
  }

  /** A change this controller did not write itself (someone edited or deleted its slice). */
  private sliceChanged(slice: EndpointSlice): void {
    if (this.tracker.isExpected(slice)) return;
    for (const key of sliceServiceKey(slice)) this.queue.add(key);
  }

  private sliceDeleted(slice: EndpointSlice): void {
    for (const key of sliceServiceKey(slice)) {
      this.tracker.forgetSlice(key, slice);
      this.queue.add(key);
    }
  }

  async sync(key: string): Promise<void> {
    const service = this.inf.services.lister.getByKey(key);
    let existing = this.slices.lister.byIndex(BY_SERVICE, key);
    if (this.tracker.isStale(key, existing)) {
      if (this.queue.numRequeues(key) < STALE_RETRIES) {
        throw new StaleCacheError(
          `the EndpointSlice cache of ${key} lags this controller's writes`,
        );
      }
      // Still behind after several tries (a relist may have missed a slice created and deleted
      // meanwhile): read the slices from the API server and start tracking afresh.
      existing = await this.liveSlices(key);
      this.tracker.forgetService(key);
    }
    const selector = service ? serviceSelector(service) : undefined;
    if (!service || !selector) {
      // Gone, or no longer selecting pods: this controller's slices for it go (the garbage
      // collector would remove them too, through their owner reference).
      await this.apply(key, { create: [], update: [], delete: existing }, service);
      if (!service) this.tracker.forgetService(key);
      return;
    }
    const groups = new Map<string, PortGroup>();
    const pods = this.inf.pods.lister
      .listInNamespace(service.metadata.namespace!, selector)
      .filter((p) => shouldPodBeInEndpoints(p, true))
      .sort(byName);
    for (const pod of pods) {
      const ports = podPorts(pod, service);
      const node = pod.spec?.nodeName ? this.nodes.lister.get(pod.spec.nodeName) : undefined;
      const pk = portKey(ports);
      let group = groups.get(pk);
      if (!group) groups.set(pk, (group = { ports, endpoints: [] }));
      group.endpoints.push(podEndpoint(pod, service, node));
    }
    const plan = reconcileSlices(
      {
        service,
        groups,
        labels: endpointLabels(service, {
          [LABEL_SERVICE_NAME]: service.metadata.name!,
          [MANAGED_BY_LABEL]: CONTROLLER_NAME,
        }),
        maxEndpointsPerSlice: this.settings.maxEndpointsPerSlice,
      },
      existing,
    );
    await this.apply(key, plan, service);
  }

  private async liveSlices(key: string): Promise<EndpointSlice[]> {
    const { namespace, name } = splitKey(key);
    const list = await this.ctx.client.endpointSlices(namespace).list({
      labelSelector: `${MANAGED_BY_LABEL}=${CONTROLLER_NAME},${LABEL_SERVICE_NAME}=${name}`,
    });
    return list.items;
  }

  /** Creates, then updates, then deletes: endpoints move before their old slice goes. */
  private async apply(key: string, plan: SlicePlan, service: Service | undefined): Promise<void> {
    const ns = key.slice(0, key.indexOf('/'));
    const client = this.ctx.client.endpointSlices(ns);
    try {
      // No new slices for a Service on its way out.
      if (!service?.metadata.deletionTimestamp) {
        for (const slice of plan.create) {
          this.tracker.wrote(key, await client.create(slice));
          this.changes.inc({ operation: 'create' });
        }
      }
      for (const slice of plan.update) {
        this.tracker.wrote(key, await client.update(slice));
        this.changes.inc({ operation: 'update' });
      }
      for (const slice of plan.delete) {
        try {
          await client.delete(slice.metadata.name!, {
            preconditions: { uid: slice.metadata.uid },
          });
          this.changes.inc({ operation: 'delete' });
        } catch (err) {
          if (!(isApiError(err) && err.status.code === 404)) throw err;
        }
        this.tracker.deleted(key, slice);
      }
    } catch (err) {
      if (service && !(isApiError(err) && err.status.code === 409)) {
        this.recorder.eventf(
          service as KubeObject,
          undefined,
          'Warning',
          'FailedToUpdateEndpointSlices',
          'Sync',
          'Error updating Endpoint Slices for Service %s: %s',
          key,
          String(err),
        );
      }
      throw err;
    }
  }
}
