import { ApiError, findResource, KubeObject, ResourceInfo } from '@flotilla/api';
import type { ObjectRegistry, WriteOptions } from '../registry/object-registry';
import { listPrefix, objectKey } from '../storage/key-layout';
import type { ObjectStore } from '../storage/object-store';
import {
  endpointsWithMaster,
  KUBERNETES_SERVICE_NAME as NAME,
  KUBERNETES_SERVICE_NAMESPACE as NAMESPACE,
  kubernetesServiceBody,
  MasterAddress,
  SERVICE_NAME_LABEL,
  servicePrimaryPort,
  slicesWithMaster,
} from './kubernetes-service';
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
}

/**
 * Keeps default/kubernetes and its endpoints, through the registry: the Service's ClusterIP is
 * claimed in the same transaction as the Service (as every ClusterIP is), and every write carries
 * a create-if-absent or resourceVersion precondition, so masters doing this at once never lose
 * each other's entries; the loser of a race reads again and merges again.
 */
export class KubernetesServiceReconciler {
  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ObjectRegistry,
    private readonly ranges: ServiceRanges,
  ) {}

  /** Creates the Service if missing and puts `self` into its Endpoints and EndpointSlices. */
  async reconcile(
    self: MasterAddress | undefined,
    apiPort: number,
  ): Promise<KubernetesServiceOutcome> {
    const serviceCreated = await this.ensureService(apiPort);
    const endpointsChanged = self ? await this.ensureEndpoints(self, apiPort) : false;
    return { serviceCreated, endpointsChanged };
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

  private async ensureEndpoints(self: MasterAddress, apiPort: number): Promise<boolean> {
    let changed = false;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        const endpoints = endpointsWithMaster(await this.read(ENDPOINTS, attempt), self);
        if (endpoints) {
          await this.write(ENDPOINTS, endpoints);
          changed = true;
        }
        const primary = servicePrimaryPort(await this.read(SERVICES, attempt)) ?? apiPort;
        const plan = slicesWithMaster(await this.slices(attempt), self, primary);
        for (const slice of plan.write) await this.write(SLICES, slice);
        for (const slice of plan.remove) {
          await this.registry.delete(SLICES, NAMESPACE, slice.metadata.name!, {
            preconditions: { resourceVersion: slice.metadata.resourceVersion },
            dryRun: false,
          });
        }
        return changed || plan.write.length > 0 || plan.remove.length > 0;
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
