// This master's identity Lease, kube-system/kube-apiserver-<master>, renewed every refresh
// (kube-apiserver's apiserver lease controller), and the garbage collection of other masters'
// Leases once they have expired (its apiserverleasegc controller): a master that was killed
// leaves its Lease behind, and whoever sees it expire deletes it, with a resourceVersion
// precondition so a Lease renewed meanwhile stays.
import { isApiError } from '@flotilla/api';
import {
  finalStateOf,
  type KubeClient,
  type Lease,
  type SharedInformer,
  type WorkQueue,
} from '@flotilla/client';
import type { Controller, ControllerContext } from '../controller';
import { controllerQueue, runQueueLoop } from '../common/queue-controller';
import { LEASES } from '../common/resources';
import {
  APISERVER_LEASE_NAMESPACE as NAMESPACE,
  APISERVER_LEASE_SELECTOR,
  apiserverLeaseName,
  leaseExpiry,
  renewedLease,
} from './apiserver-leases';
import type { ApiServerLoopSettings } from './settings';

/** Reads and writes of one renewal when another writer (a GC, a stale cache) gets in between. */
const RENEW_ATTEMPTS = 3;

export class ApiServerLeaseController implements Controller {
  readonly name = 'apiserver-lease';
  private queue!: WorkQueue<string>;
  private leases!: SharedInformer<Lease>;
  /** The Lease as this master last wrote it: newer than the cache right after a renewal. */
  private written: Lease | undefined;
  private readonly own: string;

  constructor(
    private readonly settings: ApiServerLoopSettings,
    /** `<master>_<random>`: which start of this master holds the Lease. */
    private readonly holderIdentity: string,
  ) {
    this.own = apiserverLeaseName(settings.masterName);
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    this.queue = controllerQueue(ctx, 'apiserver_lease');
    this.leases = ctx.informers.informerFor<Lease>(LEASES, {
      namespace: NAMESPACE,
      labelSelector: APISERVER_LEASE_SELECTOR,
    });
    const handlers = [
      this.leases.addEventHandler({
        onAdd: (l) => this.queue.add(l.metadata.name!),
        onUpdate: (_o, l) => {
          if (l.metadata.name !== this.own) this.queue.add(l.metadata.name!);
        },
        // Ours deleted (by a GC that saw it expire during a pause): write it again now.
        onDelete: (d) => {
          if (finalStateOf(d).metadata.name === this.own) this.queue.add(this.own);
        },
      }),
    ];
    this.queue.add(this.own);
    await runQueueLoop(ctx, signal, {
      queue: this.queue,
      informers: [this.leases as SharedInformer],
      handlers,
      workers: 1,
      sync: (name) => (name === this.own ? this.renew(ctx) : this.collect(ctx, name)),
    });
  }

  /** Renews this master's Lease, then comes back after one refresh period. */
  private async renew(ctx: ControllerContext): Promise<void> {
    const self = await this.settings.self();
    if (self) {
      const client = ctx.client.leases(NAMESPACE);
      let current = this.written ?? this.leases.lister.get(this.own, NAMESPACE);
      for (let attempt = 1; ; attempt++) {
        const body = renewedLease(
          self,
          this.holderIdentity,
          this.settings.leaseDurationSeconds,
          ctx.clock.now(),
          current,
        );
        try {
          this.written = current ? await client.update(body) : await client.create(body);
          break;
        } catch (err) {
          const code = isApiError(err) ? err.code : 0;
          if (attempt >= RENEW_ATTEMPTS || (code !== 409 && code !== 404)) throw err;
          current = code === 404 ? undefined : await getOrUndefined(ctx.client, this.own);
        }
      }
    }
    this.queue.addAfter(this.own, this.settings.refreshMs);
  }

  /** Deletes another master's Lease once it has expired; until then, looks again at its expiry. */
  private async collect(ctx: ControllerContext, name: string): Promise<void> {
    const lease = this.leases.lister.get(name, NAMESPACE);
    if (!lease) return;
    const left = leaseExpiry(lease) - ctx.clock.now();
    if (left >= 0) {
      this.queue.addAfter(name, left + 1);
      return;
    }
    try {
      await ctx.client.leases(NAMESPACE).delete(name, {
        preconditions: { resourceVersion: lease.metadata.resourceVersion },
      });
      ctx.log.info('deleted the expired Lease of a master', { lease: name });
    } catch (err) {
      // Renewed meanwhile (its next update brings it back here) or deleted by another master.
      if (isApiError(err) && (err.code === 409 || err.code === 404)) return;
      throw err;
    }
  }
}

async function getOrUndefined(client: KubeClient, name: string): Promise<Lease | undefined> {
  try {
    return await client.leases(NAMESPACE).get(name);
  } catch (err) {
    if (isApiError(err) && err.code === 404) return undefined;
    throw err;
  }
}

/** Deletes this master's Lease (graceful stop): the others drop it from the endpoints at once. */
export async function releaseApiServerLease(client: KubeClient, masterName: string): Promise<void> {
  try {
    await client.leases(NAMESPACE).delete(apiserverLeaseName(masterName));
  } catch (err) {
    if (!(isApiError(err) && err.code === 404)) throw err;
  }
}
