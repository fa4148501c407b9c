// The kubernetes Service in default and its Endpoints and EndpointSlices, kept by every master
// (kube-apiserver's kubernetes service controller with the "lease" endpoint reconciler): the
// Service is made again when deleted; the endpoints list this master and every master whose
// kube-apiserver Lease has not expired. It syncs on any change of those objects or Leases, when
// the first live Lease expires, and every refresh period. A master is listed once its own Lease
// is written, as kube-apiserver's lease reconciler lists a master once its lease key is.
import { isApiError, type KubeObject } from '@flotilla/api';
import type { KubeClient, Lease, Service, SharedInformer, WorkQueue } from '@flotilla/client';
import type { Controller, ControllerContext, ControllerLog } from '../controller';
import { controllerQueue, runQueueLoop } from '../common/queue-controller';
import { ENDPOINT_SLICES, ENDPOINTS, LEASES, SERVICES } from '../common/resources';
import {
  APISERVER_LEASE_NAMESPACE,
  APISERVER_LEASE_SELECTOR,
  liveMasters,
  nextExpiry,
} from './apiserver-leases';
import {
  desiredMasters,
  endpointsFor,
  KUBERNETES_SERVICE_NAME as NAME,
  KUBERNETES_SERVICE_NAMESPACE as NAMESPACE,
  kubernetesServiceBody,
  MasterAddress,
  SERVICE_NAME_LABEL,
  servicePrimaryPort,
  slicesFor,
} from './kubernetes-service';
import type { ApiServerLoopSettings } from './settings';

const SLICE_SELECTOR = `${SERVICE_NAME_LABEL}=${NAME}`;
/** Rounds of read, compute, write when leaving, as other masters may write at the same time. */
const LEAVE_ATTEMPTS = 5;

/** What the endpoints are computed from: the stored objects and the masters' Leases. */
export interface KubernetesServiceView {
  service: KubeObject | undefined;
  endpoints: KubeObject | undefined;
  slices: KubeObject[];
  leases: Lease[];
}

export interface KubernetesServiceOutcome {
  serviceCreated: boolean;
  endpointsChanged: boolean;
  /** The masters the endpoints list now. */
  masters: MasterAddress[];
}

export class KubernetesServiceController implements Controller {
  readonly name = 'kubernetes-service';
  private queue!: WorkQueue<string>;
  private services!: SharedInformer<Service>;
  private endpoints!: SharedInformer<KubeObject>;
  private slices!: SharedInformer<KubeObject>;
  private leases!: SharedInformer<Lease>;

  constructor(private readonly settings: ApiServerLoopSettings) {}

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    this.queue = controllerQueue(ctx, 'kubernetes_service');
    const f = ctx.informers;
    this.services = f.informerFor<Service>(SERVICES, { namespace: NAMESPACE });
    this.endpoints = f.informerFor(ENDPOINTS, { namespace: NAMESPACE });
    this.slices = f.informerFor(ENDPOINT_SLICES, {
      namespace: NAMESPACE,
      labelSelector: SLICE_SELECTOR,
    });
    this.leases = f.informerFor<Lease>(LEASES, {
      namespace: APISERVER_LEASE_NAMESPACE,
      labelSelector: APISERVER_LEASE_SELECTOR,
    });
    const named = (o: KubeObject) => o.metadata.name === NAME;
    const handlers = [
      this.services.addEventHandler(this.enqueue(named)),
      this.endpoints.addEventHandler(this.enqueue(named)),
      this.slices.addEventHandler(this.enqueue(() => true)),
      this.leases.addEventHandler(this.enqueue(() => true)),
    ];
    this.queue.add(NAME);
    await runQueueLoop(ctx, signal, {
      queue: this.queue,
      informers: [this.services, this.endpoints, this.slices, this.leases] as SharedInformer[],
      handlers,
      workers: 1,
      sync: () => this.sync(ctx),
    });
  }

  private enqueue(relevant: (o: KubeObject) => boolean) {
    const add = (o: KubeObject) => {
      if (relevant(o)) this.queue.add(NAME);
    };
    return {
      onAdd: add,
      onUpdate: (_o: KubeObject, n: KubeObject) => add(n),
      // A deleted object's final state may be unknown: sync anyway.
      onDelete: () => this.queue.add(NAME),
    };
  }

  private async sync(ctx: ControllerContext): Promise<void> {
    const now = ctx.clock.now();
    const view: KubernetesServiceView = {
      service: this.services.lister.get(NAME, NAMESPACE),
      endpoints: this.endpoints.lister.get(NAME, NAMESPACE),
      slices: this.slices.lister.list(),
      leases: this.leases.lister.list(),
    };
    const self = await this.settings.self();
    const outcome = await writeKubernetesService(ctx.client, view, {
      self,
      selfListed: true,
      clusterIP: this.settings.clusterIP,
      apiPort: this.settings.apiPort,
      nowMs: now,
    });
    logOutcome(ctx.log, outcome);
    const expiry = nextExpiry(view.leases, now);
    const wait = Math.min(this.settings.refreshMs, expiry === undefined ? Infinity : expiry - now);
    this.queue.addAfter(NAME, Math.max(1, wait + 1));
  }
}

/**
 * Creates the Service if missing (unless this master is leaving) and writes the Endpoints and
 * EndpointSlices listing every master with a live Lease (`self` only when `selfListed`). Writes
 * carry create-if-absent or resourceVersion preconditions: a view that was stale fails with
 * 409 (or 404 for a slice gone meanwhile), and the caller reads again.
 */
export async function writeKubernetesService(
  client: KubeClient,
  view: KubernetesServiceView,
  opts: {
    self: MasterAddress | undefined;
    selfListed: boolean;
    clusterIP: string;
    apiPort: number;
    nowMs: number;
  },
): Promise<KubernetesServiceOutcome> {
  let serviceCreated = false;
  if (!view.service && opts.selfListed) {
    try {
      await client
        .services(NAMESPACE)
        .create(kubernetesServiceBody(opts.clusterIP, opts.apiPort) as Service);
      serviceCreated = true;
    } catch (err) {
      if (!(isApiError(err) && err.code === 409)) throw err; // 409: another master was first
    }
  }
  // This master lists itself once its own Lease is live, so every master computes the list from
  // the same Leases: listing itself before (while the others cannot see it) would have the
  // masters overwrite each other's endpoints until the Leases appear.
  const live = liveMasters(view.leases, opts.nowMs);
  const selfLive = opts.self !== undefined && live.some((m) => sameMaster(m, opts.self!));
  const masters = desiredMasters(live, opts.self, opts.selfListed && selfLive);
  let endpointsChanged = false;
  const endpoints = endpointsFor(view.endpoints, masters);
  if (endpoints) {
    await write(client.forResource('endpoints', '', NAMESPACE), endpoints);
    endpointsChanged = true;
  }
  const primary = servicePrimaryPort(view.service) ?? opts.apiPort;
  const plan = slicesFor(view.slices, masters, primary);
  const slices = client.endpointSlices(NAMESPACE);
  for (const slice of plan.write) await write(slices, slice);
  for (const slice of plan.remove) {
    await slices.delete(slice.metadata.name!, {
      preconditions: { resourceVersion: slice.metadata.resourceVersion },
    });
  }
  endpointsChanged ||= plan.write.length > 0 || plan.remove.length > 0;
  return { serviceCreated, endpointsChanged, masters };
}

function sameMaster(a: MasterAddress, b: MasterAddress): boolean {
  return a.name === b.name && a.ip === b.ip && a.port === b.port;
}

interface Writable {
  create(o: KubeObject): Promise<unknown>;
  update(o: KubeObject): Promise<unknown>;
}

async function write(client: Writable, body: KubeObject): Promise<void> {
  if (body.metadata.resourceVersion === undefined) await client.create(body);
  else await client.update(body);
}

/** The view as stored now, read through the client (no informers: used when stopping). */
export async function readKubernetesService(client: KubeClient): Promise<KubernetesServiceView> {
  const orNothing = (err: unknown) => {
    if (isApiError(err) && err.code === 404) return undefined;
    throw err;
  };
  const [service, endpoints, slices, leases] = await Promise.all([
    client.services(NAMESPACE).get(NAME).catch(orNothing),
    client.forResource('endpoints', '', NAMESPACE).get(NAME).catch(orNothing),
    client.endpointSlices(NAMESPACE).list({ labelSelector: SLICE_SELECTOR }),
    client.leases(APISERVER_LEASE_NAMESPACE).list({ labelSelector: APISERVER_LEASE_SELECTOR }),
  ]);
  return { service, endpoints, slices: slices.items, leases: leases.items };
}

/**
 * Graceful stop: writes the endpoints without this master (after its Lease was deleted), reading
 * afresh and trying again when another master wrote in between.
 */
export async function leaveKubernetesService(
  client: KubeClient,
  self: MasterAddress | undefined,
  opts: { clusterIP: string; apiPort: number; nowMs: () => number },
): Promise<KubernetesServiceOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      const view = await readKubernetesService(client);
      return await writeKubernetesService(client, view, {
        self,
        selfListed: false,
        clusterIP: opts.clusterIP,
        apiPort: opts.apiPort,
        nowMs: opts.nowMs(),
      });
    } catch (err) {
      const code = isApiError(err) ? err.code : 0;
      if (attempt >= LEAVE_ATTEMPTS || (code !== 409 && code !== 404)) throw err;
    }
  }
}

function logOutcome(log: ControllerLog, outcome: KubernetesServiceOutcome): void {
  if (outcome.serviceCreated) log.info('created the kubernetes Service');
  if (outcome.endpointsChanged) {
    log.info('updated the kubernetes Service endpoints', {
      masters: outcome.masters.map((m) => `${m.name}=${m.ip}:${m.port}`),
    });
  }
}
