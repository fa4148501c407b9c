// The legacy Endpoints controller (kube-controller-manager's endpoint): a v1 Endpoints object
// named after every Service with a selector, listing its pods (ready ones under addresses, others
// under notReadyAddresses unless the Service publishes not-ready addresses; terminating pods left
// out), written only when it changes. Services without a selector (the `kubernetes` Service,
// whose Endpoints the masters write) are not touched; an Endpoints object is deleted only when it
// carries this controller's managed-by label and its Service is gone.
import { isApiError, jsonEqual, type KubeObject } from '@flotilla/api';
import {
  objectKey,
  runWorkers,
  splitKey,
  WorkQueue,
  type Endpoints,
  type EventRecorder,
  type HandlerRegistration,
  type SharedInformer,
} from '@flotilla/client';
import { findResource } from '@flotilla/api';
import type { Controller, ControllerContext } from '../controller';
import { FlagValues } from '../flag-values';
import { abortOf } from '../signals';
import { byName, endpointLabels, serviceSelector } from '../service-endpoints/pod-endpoints';
import {
  queueServicesOnEvents,
  servicePodInformers,
  type ServicePodInformers,
} from '../service-endpoints/service-pod-events';
import { computeSubsets, OVER_CAPACITY_ANNOTATION } from './subsets';

const ENDPOINTS = findResource('', 'v1', 'endpoints')!;
export const ENDPOINTS_MANAGED_BY_LABEL = 'endpoints.kubernetes.io/managed-by';
export const ENDPOINTS_CONTROLLER_NAME = 'endpoint-controller';

export class EndpointsController implements Controller {
  readonly name = 'endpoint';

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const workers = new FlagValues(ctx.flags).integer('concurrent-endpoint-syncs', 5, 1);
    await new EndpointsRun(ctx, workers).run(signal);
  }
}

export class EndpointsRun {
  private readonly inf: ServicePodInformers;
  private readonly endpoints: SharedInformer<Endpoints>;
  private readonly queue: WorkQueue<string>;
  private readonly recorder: EventRecorder;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly workers: number,
  ) {
    this.inf = servicePodInformers(ctx.informers);
    this.endpoints = ctx.informers.informerFor<Endpoints>(ENDPOINTS);
    this.queue = new WorkQueue<string>({
      name: 'endpoint',
      registry: ctx.metrics,
      clock: ctx.clock,
    });
    this.recorder = ctx.recorder('endpoint-controller');
  }

  async run(signal: AbortSignal): Promise<void> {
    const handlers: HandlerRegistration[] = queueServicesOnEvents(this.inf, (k) =>
      this.queue.add(k),
    );
    try {
      this.ctx.informers.start();
      const synced = await Promise.all(
        [this.inf.services, this.inf.pods, this.endpoints].map((i) => i.waitForSync({ signal })),
      );
      if (!synced.every(Boolean) || signal.aborted) return;
      for (const svc of this.inf.services.lister.list()) this.queue.add(objectKey(svc));
      // Endpoints left behind by Services deleted while no controller ran.
      for (const ep of this.endpoints.lister.list()) {
        if (!this.inf.services.lister.getByKey(objectKey(ep))) this.queue.add(objectKey(ep));
      }
      const workers = runWorkers(this.queue, this.workers, (key) => this.sync(key), {
        onError: (err, key) =>
          this.ctx.log.warn('endpoints not synced; retrying', { service: key, err: String(err) }),
      });
      await abortOf(signal);
      this.queue.shutDown();
      await workers;
    } finally {
      this.queue.shutDown();
      for (const h of handlers) h.remove();
    }
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const client = this.ctx.client.resource<Endpoints>(ENDPOINTS, namespace);
    const service = this.inf.services.lister.getByKey(key);
    const current = this.endpoints.lister.getByKey(key);
    if (!service) {
      if (current?.metadata.labels?.[ENDPOINTS_MANAGED_BY_LABEL] !== ENDPOINTS_CONTROLLER_NAME) {
        return;
      }
      try {
        await client.delete(name, { preconditions: { uid: current.metadata.uid } });
      } catch (err) {
        if (!(isApiError(err) && (err.status.code === 404 || err.status.code === 409))) throw err;
      }
      return;
    }
    const selector = serviceSelector(service);
    if (!selector) return;

    const pods = this.inf.pods.lister.listInNamespace(namespace ?? '', selector).sort(byName);
    const { subsets, truncated } = computeSubsets(service, pods);
    const labels = endpointLabels(service, {
      [ENDPOINTS_MANAGED_BY_LABEL]: ENDPOINTS_CONTROLLER_NAME,
    });
    const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
    if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
    else delete annotations[OVER_CAPACITY_ANNOTATION];

    if (
      current &&
      jsonEqual(current.subsets ?? [], subsets) &&
      jsonEqual(current.metadata.labels ?? {}, labels) &&
      jsonEqual(current.metadata.annotations ?? {}, annotations)
    ) {
      return;
    }
    const body: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      ...(current ?? {}),
      metadata: {
        ...(current?.metadata ?? { name, namespace }),
        labels,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      },
      subsets,
    };
    if (Object.keys(annotations).length === 0) delete body.metadata.annotations;
    try {
      if (current) await client.update(body);
      else if (!service.metadata.deletionTimestamp) await client.create(body);
    } catch (err) {
      // 409: the cache is behind (someone wrote it, or it was just created); the retry reads again.
      if (!(isApiError(err) && err.status.code === 409)) {
        this.recorder.eventf(
          service as KubeObject,
          undefined,
          'Warning',
          'FailedToUpdateEndpoint',
          'Sync',
          'Failed to update endpoint %s: %s',
          key,
          String(err),
        );
      }
      throw err;
    }
  }
}
