import { cloneJson, type ResourceInfo } from '@flotilla/api';
import type { ResourceOps } from '../contract';
import { recordOf, specOf, type LeaderElectionRecord } from './lease-record';
import type { Lease } from '../rest/types';

/**
 * One Lease object as a lock. Every update carries the resourceVersion last read or written, so
 * a write based on a stale view fails with 409 instead of overwriting another holder.
 */
export class LeaseLock {
  private lease: Lease | undefined;

  constructor(
    private readonly leases: ResourceOps<Lease>,
    readonly name: string,
  ) {}

  get info(): ResourceInfo {
    return this.leases.info;
  }

  describe(): string {
    return `${this.leases.namespace ?? ''}/${this.name}`;
  }

  /** The current record (and remembers the lease's resourceVersion); 404 ApiError when absent. */
  async get(): Promise<LeaderElectionRecord> {
    this.lease = await this.leases.get(this.name);
    return recordOf(this.lease);
  }

  async create(r: LeaderElectionRecord): Promise<void> {
    this.lease = await this.leases.create({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.name,
        ...(this.leases.namespace ? { namespace: this.leases.namespace } : {}),
      },
      spec: specOf(r),
    });
  }

  /** Writes `r` on top of the lease last seen; 409 if it changed since. */
  async update(r: LeaderElectionRecord): Promise<void> {
    if (!this.lease)
      throw new Error(`lease ${this.describe()} not read yet: get or create it first`);
    const next = cloneJson(this.lease);
    next.spec = specOf(r);
    this.lease = await this.leases.update(next);
  }
}
