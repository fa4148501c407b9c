import { prefixEnd, RequestOp, StoreError } from '@flotilla/store';
import type { KvBackend } from '../storage/kv-backend';
import type { MasterAddress } from './kubernetes-service';
import {
  decodeMasterLease,
  encodeMasterLease,
  MASTER_LEASE_PREFIX,
  MASTER_LEASE_TTL_SECONDS,
  masterLeaseKey,
} from './master-lease';

const utf8 = (s: string) => Buffer.from(s, 'utf8');

function isLeaseNotFound(err: unknown): boolean {
  return err instanceof StoreError && err.code === 'lease-not-found';
}

/**
 * This master's key under /registry/masterleases/, kept alive on a store lease, and the list of
 * every master whose key is alive. One instance per master; calls are not run concurrently
 * (the control plane's reconcile loop runs one round at a time).
 */
export class MasterLeaseKeeper {
  private leaseId: number | undefined;
  /** The key last written, so an address change does not leave the old one alive on our lease. */
  private writtenKey: string | undefined;

  constructor(
    private readonly kv: KvBackend,
    private readonly ttlSeconds = MASTER_LEASE_TTL_SECONDS,
  ) {}

  /**
   * Renews the lease (a new one if it lapsed, e.g. after a long partition) and rewrites the key
   * when it is missing, says something else, or hangs on another lease (a predecessor on the
   * same address).
   */
  async refresh(self: MasterAddress): Promise<void> {
    if (this.leaseId !== undefined) {
      try {
        await this.kv.leaseKeepAlive(this.leaseId);
      } catch (err) {
        if (!isLeaseNotFound(err)) throw err;
        this.leaseId = undefined;
        this.writtenKey = undefined; // revoked with the lease
      }
    }
    this.leaseId ??= await this.kv.leaseGrant(this.ttlSeconds);
    const key = masterLeaseKey(self);
    const value = encodeMasterLease(self);
    const stored = (await this.kv.range({ key: utf8(key), serializable: true })).kvs[0];
    if (stored && stored.lease === this.leaseId && Buffer.from(stored.value).equals(value)) return;
    const ops: RequestOp[] = [{ requestPut: { key: utf8(key), value, lease: this.leaseId } }];
    if (this.writtenKey !== undefined && this.writtenKey !== key)
      ops.push({ requestDeleteRange: { key: utf8(this.writtenKey) } });
    await this.kv.txn({ compare: [], success: ops, failure: [] });
    this.writtenKey = key;
  }

  /** Every master with a live key, read linearizably (the endpoints are written from this). */
  async live(): Promise<MasterAddress[]> {
    const prefix = utf8(MASTER_LEASE_PREFIX);
    const r = await this.kv.range({ key: prefix, rangeEnd: prefixEnd(prefix) });
    return r.kvs.flatMap((kv) => decodeMasterLease(kv.value) ?? []);
  }

  /** Ends the lease, which deletes this master's key at once (graceful shutdown). */
  async release(): Promise<void> {
    const id = this.leaseId;
    this.leaseId = undefined;
    this.writtenKey = undefined;
    if (id === undefined) return;
    try {
      await this.kv.leaseRevoke(id);
    } catch (err) {
      if (!isLeaseNotFound(err)) throw err;
    }
  }
}
