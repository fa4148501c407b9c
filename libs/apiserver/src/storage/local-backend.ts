import { MvccStore, RangeRequest, TxnRequest, TxnResponse, WatchOptions } from '@flotilla/store';
import type { KvBackend, KvWatch } from './kv-backend';

/**
 * A KvBackend over one local MvccStore, applying each write as the next "committed entry":
 * what the API server sees on a single member, without Raft. For tests and benchmarks.
 */
export class LocalBackend implements KvBackend {
  private index: number;

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
    const outcome = await this.store.apply(++this.index, { type: 'txn', request });
    if (outcome.status !== 'applied')
      throw (outcome as { error?: Error }).error ?? new Error(outcome.status);
    return outcome.response as TxnResponse;
  }

  async compact(revision: number): Promise<void> {
    const outcome = await this.store.apply(++this.index, {
      type: 'compact',
      request: { revision },
    });
    if (outcome.status !== 'applied')
      throw (outcome as { error?: Error }).error ?? new Error(outcome.status);
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
