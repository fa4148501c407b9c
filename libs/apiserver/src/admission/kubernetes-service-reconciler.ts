import { ApiError, findResource, KubeObject, ResourceInfo } from '@flotilla/api';
import type { ObjectRegistry, WriteOptions } from '../registry/object-registry';
import { listPrefix, objectKey } from '../storage/key-layout';
import type { ObjectStore } from '../storage/object-store';
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
import type { MasterLeaseKeeper } from './master-lease-keeper';
import { firstServiceIp, ServiceRanges } from './service-ranges';

const SERVICES = findResource('', 'v1', 'services')!;
const ENDPOINTS = findResource('', 'v1', 'endpoints')!;
const SLICES = findResource('discovery.k8s.io', 'v1', 'endpointslices')!;
const WRITE: WriteOptions = { dryRun: false, fieldValidation: 'Ignore' };
/** Rounds of read, merge, write when other masters write the same objects at the same time. */
const ATTEMPTS = 8;

export interface KubernetesServiceOutcome {
  /** This call created the Service. */
  serviceCreated: boolean;
  /** This call wrote the Endpoints or an EndpointSlice. */
  endpointsChanged: boolean;
  /** The masters the endpoints list now. */
  masters: MasterAddress[];
}

/**
 * Keeps default/kubernetes and its endpoints, through the registry: the Service's ClusterIP is
 * claimed in the same transaction as the Service (as every ClusterIP is), and the endpoints are
 * rewritten to the masters with a live lease. Every write carries a create-if-absent or
 * resourceVersion precondition, and the live masters are read after the objects they are written
 * to: a master whose lease key was written before those reads is seen, and a write made after
 * them fails its precondition, so the loser of a race reads again and computes again.
 */
export class KubernetesServiceReconciler {
  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ObjectRegistry,
    private readonly ranges: ServiceRanges,
    private readonly leases: MasterLeaseKeeper,
  ) {}

  /**
   * Creates the Service if missing, renews this master's lease (none without `self`: it cannot
   * be listed), and sets its Endpoints and EndpointSlices to the live masters, `self` included.
   */
  async reconcile(
    self: MasterAddress | undefined,
    apiPort: number,
  ): Promise<KubernetesServiceOutcome> {
    const serviceCreated = await this.ensureService(apiPort);
    if (self) await this.leases.refresh(self);
    return { serviceCreated, ...(await this.ensureEndpoints(self, true, apiPort)) };
  }

  /**
   * Graceful shutdown: ends this master's lease (its key goes with it, so no other master lists
   * it again) and writes the endpoints without it, instead of leaving it there for a TTL.
   */
  async leave(self: MasterAddress | undefined, apiPort: number): Promise<KubernetesServiceOutcome> {
    await this.leases.release();
    return { serviceCreated: false, ...(await this.ensureEndpoints(self, false, apiPort)) };
  }

  private async ensureService(apiPort: number): Promise<boolean> {
    if (await this.read(SERVICES, 0)) return false;
    try {
      const body = kubernetesServiceBody(firstServiceIp(this.ranges.cidr), apiPort);
      await this.registry.create(SERVICES, NAMESPACE, body, WRITE);
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.code === 409) return false; // another master was first
      throw err;
    }
  }

  private async ensureEndpoints(
    self: MasterAddress | undefined,
    selfListed: boolean,
    apiPort: number,
  ): Promise<{ endpointsChanged: boolean; masters: MasterAddress[] }> {
    let changed = false;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        const current = await this.read(ENDPOINTS, attempt);
        const primary = servicePrimaryPort(await this.read(SERVICES, attempt)) ?? apiPort;
        const slices = await this.slices(attempt);
        const masters = desiredMasters(await this.leases.live(), self, selfListed);
        const endpoints = endpointsFor(current, masters);
        if (endpoints) {
          await this.write(ENDPOINTS, endpoints);
          changed = true;
        }
        const plan = slicesFor(slices, masters, primary);
        for (const slice of plan.write) await this.write(SLICES, slice);
        for (const slice of plan.remove) {
          await this.registry.delete(SLICES, NAMESPACE, slice.metadata.name!, {
            preconditions: { resourceVersion: slice.metadata.resourceVersion },
            dryRun: false,
          });
        }
        changed ||= plan.write.length > 0 || plan.remove.length > 0;
        return { endpointsChanged: changed, masters };
      } catch (err) {
        // 409: another master wrote first; 404: a slice to delete went meanwhile. Read again.
        if (!(err instanceof ApiError && (err.code === 409 || err.code === 404))) throw err;
      }
    }
    throw new Error('the kubernetes Service endpoints kept changing under this master');
  }

  /** The first round reads this master's applied state; a retry reads linearizably. */
  private read(r: ResourceInfo, attempt: number): Promise<KubeObject | undefined> {
    return this.store.get(objectKey(r, NAMESPACE, NAME), { serializable: attempt === 0 });
  }

  private async slices(attempt: number): Promise<KubeObject[]> {
    const page = await this.store.list(listPrefix(SLICES, NAMESPACE), {
      serializable: attempt === 0,
      filter: (o) => o.metadata.labels?.[SERVICE_NAME_LABEL] === NAME,
    });
    return page.items;
  }

  private async write(r: ResourceInfo, body: KubeObject): Promise<void> {
    if (body.metadata.resourceVersion === undefined) {
      await this.registry.create(r, NAMESPACE, body, WRITE);
    } else {
      await this.registry.update(r, NAMESPACE, body.metadata.name!, body, WRITE);
    }
  }
}
