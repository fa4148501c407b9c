import {
  Command,
  MvccStore,
  RangeRequest,
  StoreError,
  TxnRequest,
  TxnResponse,
  WatchOptions,
} from '@flotilla/store';
import type { KvBackend, KvWatch } from './kv-backend';

/**
 * A KvBackend over one local MvccStore, applying each write as the next "committed entry":
 * what the API server sees on a single member, without Raft. For tests and benchmarks.
 */
export class LocalBackend implements KvBackend {
  private index: number;
  private lastLeaseId = 0;

  private constructor(readonly store: MvccStore) {
    this.index = store.appliedIndex;
  }

  static async open(dir: string): Promise<LocalBackend> {
    return new LocalBackend(await MvccStore.open(dir));
  }

  range(req: RangeRequest) {
    return this.store.range(req);
  }

  async txn(request: TxnRequest): Promise<TxnResponse> {
    return (await this.apply({ type: 'txn', request })) as TxnResponse;
  }

  async compact(revision: number): Promise<void> {
    await this.apply({ type: 'compact', request: { revision } });
  }

  /** Lease IDs count up, never reused: one process, no other grantor. */
  async leaseGrant(ttlSeconds: number): Promise<number> {
    this.lastLeaseId = this.store
      .leases()
      .reduce((max, l) => Math.max(max, l.id), this.lastLeaseId);
    const id = ++this.lastLeaseId;
    await this.apply({ type: 'leaseGrant', request: { id, ttl: ttlSeconds } });
    return id;
  }

  /** Nothing expires here (no lessor): a lease lives until revoked. */
  async leaseKeepAlive(id: number): Promise<void> {
    if (!this.store.lease(id))
      throw new StoreError('lease-not-found', 'etcdserver: requested lease not found');
  }

  async leaseRevoke(id: number): Promise<void> {
    await this.apply({ type: 'leaseRevoke', request: { id } });
  }

  private async apply(command: Command): Promise<unknown> {
    const outcome = await this.store.apply(++this.index, command);
    if (outcome.status !== 'applied')
      throw (outcome as { error?: Error }).error ?? new Error(outcome.status);
    return outcome.response;
  }

  watch(opts: WatchOptions): KvWatch {
    return this.store.watch(opts);
  }

  revision(): number {
    return this.store.revision;
  }

  compactRevision(): number {
    return this.store.compactRevision;
  }

  progress(): void {
    this.store.progress(false);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
