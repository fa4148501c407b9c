// Test double: a single-member EtcdBackend over a real MvccStore in a temporary directory.
// Writes are applied directly with increasing Raft indexes; leases are timed by the store's
// Lessor on the real clock and revoked by a small expiry loop, as a leader would.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Command,
  CommandResponse,
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Lessor,
  MvccStore,
  MvccStoreOptions,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  StoreError,
  TxnRequest,
  TxnResponse,
  WatchOptions,
  Watcher,
} from '@flotilla/store';
import { BackendError, EtcdBackend, MemberInfo, MemberStatus } from '../src/backend';

export const CLUSTER_ID = 0xcdef_0123_4567_89abn;
export const MEMBER_ID = 0xfedc_ba98_7654_3210n;
const TERM = 2;

export class LocalBackend implements EtcdBackend {
  private index = 0;
  private nextLeaseId = 0x7a11_0000;
  private readonly lessor: Lessor;
  private readonly expiryLoop: NodeJS.Timeout;
  clientUrl = 'http://127.0.0.1:0';

  private constructor(
    readonly store: MvccStore,
    readonly dir: string,
  ) {
    this.lessor = new Lessor({ keysOf: (id) => store.leaseKeys(id), revokeRetryMs: 1000 });
    this.lessor.promote(Date.now());
    this.expiryLoop = setInterval(() => void this.revokeExpired(), 100);
  }

  static async create(storeOptions: MvccStoreOptions = {}): Promise<LocalBackend> {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-etcd-api-'));
    return new LocalBackend(await MvccStore.open(dir, storeOptions), dir);
  }

  async close(): Promise<void> {
    clearInterval(this.expiryLoop);
    await this.store.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  identity() {
    return { clusterId: CLUSTER_ID, memberId: MEMBER_ID };
  }

  raftTerm(): number {
    return TERM;
  }

  revision(): number {
    return this.store.revision;
  }

  range(req: RangeRequest): Promise<RangeResponse> {
    return this.store.range(req);
  }

  put(req: PutRequest): Promise<PutResponse> {
    return this.propose({ type: 'put', request: req });
  }

  deleteRange(req: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    return this.propose({ type: 'deleteRange', request: req });
  }

  txn(req: TxnRequest): Promise<TxnResponse> {
    return this.propose({ type: 'txn', request: req });
  }

  compact(req: CompactionRequest): Promise<CompactionResponse> {
    return this.propose({ type: 'compact', request: req });
  }

  async leaseGrant(ttl: number, id: number) {
    const leaseId = id === 0 ? this.nextLeaseId++ : id;
    const seconds = Math.max(ttl, 1);
    const res = await this.propose<{ header: { revision: number } }>({
      type: 'leaseGrant',
      request: { id: leaseId, ttl: seconds },
    });
    this.lessor.grant(leaseId, seconds, Date.now());
    return { id: leaseId, ttl: seconds, revision: res.header.revision };
  }

  async leaseRevoke(id: number) {
    const res = await this.propose<{ header: { revision: number } }>({
      type: 'leaseRevoke',
      request: { id },
    });
    this.lessor.revoke(id);
    return { revision: res.header.revision };
  }

  leaseKeepAlive(id: number) {
    return Promise.resolve().then(() => ({
      ttl: this.lessor.renew(id, Date.now()),
      revision: this.store.revision,
    }));
  }

  async leaseTimeToLive(id: number, keys: boolean) {
    const t = this.lessor.timeToLive(id, Date.now());
    if (t === undefined)
      throw new StoreError('lease-not-found', 'etcdserver: requested lease not found');
    return {
      ttl: t.ttl,
      grantedTtl: t.grantedTtl,
      keys: keys ? t.keys : [],
      revision: this.store.revision,
    };
  }

  async leases() {
    return { ids: this.store.leases().map((l) => l.id), revision: this.store.revision };
  }

  watch(opts: WatchOptions): Watcher {
    return this.store.watch(opts);
  }

  requestProgress(): void {
    this.store.progress();
  }

  private member(): MemberInfo {
    return {
      id: MEMBER_ID,
      name: 'm1',
      peerUrls: ['http://127.0.0.1:2380'],
      clientUrls: [this.clientUrl],
      isLearner: false,
    };
  }

  async memberList(): Promise<MemberInfo[]> {
    return [this.member()];
  }

  async memberAdd(): Promise<{ member: MemberInfo; members: MemberInfo[] }> {
    throw new BackendError('unhealthy-cluster', 'the test backend has one member only');
  }

  async memberRemove(id: bigint): Promise<MemberInfo[]> {
    if (id !== MEMBER_ID) throw new BackendError('member-not-found', 'no such member');
    throw new BackendError('invalid-argument', 'cannot remove the only member');
  }

  async memberPromote(id: bigint): Promise<MemberInfo[]> {
    if (id !== MEMBER_ID) throw new BackendError('member-not-found', 'no such member');
    throw new BackendError('member-not-learner', 'not a learner');
  }

  async status(): Promise<MemberStatus> {
    const dbSize = await dirSize(this.dir);
    return {
      version: '3.4.0',
      dbSize,
      dbSizeInUse: dbSize,
      leader: MEMBER_ID,
      raftIndex: this.index,
      raftTerm: TERM,
      raftAppliedIndex: this.store.appliedIndex,
      isLearner: false,
      errors: [],
    };
  }

  async *snapshot(): AsyncIterable<Uint8Array> {
    yield* await this.store.createSnapshot();
  }

  private async propose<T extends CommandResponse>(command: Command): Promise<T> {
    const outcome = await this.store.apply(++this.index, command);
    if (outcome.status === 'rejected') throw outcome.error;
    if (outcome.status !== 'applied') throw new Error(`unexpected apply outcome ${outcome.status}`);
    return outcome.response as T;
  }

  private async revokeExpired(): Promise<void> {
    for (const id of this.lessor.expired(Date.now(), 16)) {
      await this.leaseRevoke(id).catch(() => undefined);
    }
  }
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}
