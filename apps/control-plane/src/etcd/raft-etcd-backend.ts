import {
  BackendError,
  EtcdBackend,
  MemberInfo,
  MemberStatus,
  RequestContext,
} from '@flotilla/etcd-api';
import { RaftNodeError } from '@flotilla/raft-node';
import type { ReplicatedStore } from '@flotilla/replicated-store';
import type { StoreError, WatchOptions, Watcher } from '@flotilla/store';
import { FLOTILLA_VERSION } from '@flotilla/observability';
import { MemberDirectory } from '../replication/member-directory';
import type { ConfChange } from '@flotilla/raft';

/** The version etcd clients see in Status: the etcd API level we speak, and ours. */
const ETCD_API_VERSION = `3.4.0-flotilla.${FLOTILLA_VERSION}`;

/**
 * The etcd v3 API of a master, over the replicated store: writes through Raft, linearizable
 * reads through ReadIndex, watches from this member's applied state.
 */
export class RaftEtcdBackend implements EtcdBackend {
  constructor(
    private readonly kv: ReplicatedStore,
    private readonly members: MemberDirectory,
  ) {}

  identity() {
    return { clusterId: this.members.clusterId, memberId: this.members.self.id };
  }

  raftTerm(): number {
    return this.kv.node.term();
  }

  revision(): number {
    return this.kv.revision();
  }

  /**
   * A linearizable read waits on the read barrier no longer than its client does: past the
   * client's deadline the barrier lets go of it (the call has ended with DEADLINE_EXCEEDED).
   */
  range(req: Parameters<EtcdBackend['range']>[0], ctx?: RequestContext) {
    if (req.serializable || ctx?.deadline === undefined) return guard(() => this.kv.range(req));
    const waitMs = Math.max(0, ctx.deadline - Date.now());
    return guard(async () => {
      await this.kv.node.readBarrier(waitMs);
      return this.kv.store.range(req);
    });
  }

  put(req: Parameters<EtcdBackend['put']>[0]) {
    return guard(() => this.kv.put(req));
  }

  deleteRange(req: Parameters<EtcdBackend['deleteRange']>[0]) {
    return guard(() => this.kv.deleteRange(req));
  }

  txn(req: Parameters<EtcdBackend['txn']>[0]) {
    return guard(() => this.kv.txn(req));
  }

  compact(req: Parameters<EtcdBackend['compact']>[0]) {
    return guard(() => this.kv.compact(req));
  }

  async leaseGrant(ttl: number, id: number) {
    const r = await guard(() => this.kv.leaseGrant(ttl, id));
    return { id: r.id, ttl: r.ttl, revision: r.header.revision };
  }

  async leaseRevoke(id: number) {
    const r = await guard(() => this.kv.leaseRevoke(id));
    return { revision: r.header.revision };
  }

  async leaseKeepAlive(id: number) {
    const ttl = await guard(() => this.kv.leases.keepAlive(id));
    return { ttl, revision: this.kv.revision() };
  }

  async leaseTimeToLive(id: number, keys: boolean) {
    const r = await guard(() => this.kv.leases.timeToLive(id));
    if (!r) return { ttl: -1, grantedTtl: 0, keys: [], revision: this.kv.revision() };
    return {
      ttl: r.ttl,
      grantedTtl: r.grantedTtl,
      keys: keys ? r.keys : [],
      revision: this.kv.revision(),
    };
  }

  async leases() {
    return { ids: this.kv.store.leases().map((l) => l.id), revision: this.kv.revision() };
  }

  watch(opts: WatchOptions): Watcher {
    return this.kv.watch(opts);
  }

  requestProgress(): void {
    this.kv.store.progress(true);
  }

  async memberList(): Promise<MemberInfo[]> {
    const conf = this.kv.node.members();
    const out: MemberInfo[] = [];
    for (const name of [...conf.voters, ...conf.learners]) {
      const m = this.members.get(name);
      out.push({
        id: m?.id ?? 0n,
        name,
        peerUrls: m ? [m.peerUrl] : [],
        clientUrls: m?.clientUrls ?? [],
        isLearner: conf.learners.includes(name),
      });
    }
    return out;
  }

  async memberAdd(
    peerUrls: string[],
    isLearner: boolean,
    name?: string,
  ): Promise<{ member: MemberInfo; members: MemberInfo[] }> {
    const peerUrl = peerUrls[0];
    if (!peerUrl || peerUrls.length !== 1 || !/^https?:\/\/[^/]+:\d+\/?$/.test(peerUrl)) {
      throw new BackendError(
        'invalid-argument',
        'etcdserver: exactly one peer URL of the form http://host:port is needed',
      );
    }
    const url = peerUrl.replace(/\/$/, '');
    if (this.members.byPeerUrl(url) && this.inConf(this.members.byPeerUrl(url)!.name)) {
      throw new BackendError('member-exists', 'etcdserver: Peer URLs already exists');
    }
    const memberName = name ?? MemberDirectory.nameForPeerUrl(url);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(memberName)) {
      throw new BackendError(
        'invalid-argument',
        `etcdserver: member name ${JSON.stringify(memberName)} is not a DNS-1123 label`,
      );
    }
    if (this.inConf(memberName))
      throw new BackendError('member-exists', 'etcdserver: member ID already exist');
    await this.confChange({
      type: isLearner ? 'addLearner' : 'addVoter',
      node: memberName,
      address: url,
    });
    const members = await this.memberList();
    return { member: members.find((m) => m.name === memberName)!, members };
  }

  async memberRemove(id: bigint): Promise<MemberInfo[]> {
    const name = this.nameOf(id);
    await this.confChange({ type: 'remove', node: name });
    return this.memberList();
  }

  async memberPromote(id: bigint): Promise<MemberInfo[]> {
    const name = this.nameOf(id);
    const conf = this.kv.node.members();
    if (!conf.learners.includes(name))
      throw new BackendError('member-not-learner', 'etcdserver: can only promote a learner member');
    const status = this.kv.node.status();
    const progress = status.progress[name];
    // As etcd does: promote only a learner that holds at least 90% of the leader's log.
    if (progress && progress.match < status.commit * 0.9) {
      throw new BackendError(
        'learner-not-ready',
        'etcdserver: can only promote a learner member which is in sync with leader',
      );
    }
    await this.confChange({ type: 'addVoter', node: name });
    return this.memberList();
  }

  private inConf(name: string): boolean {
    const conf = this.kv.node.members();
    return conf.voters.includes(name) || conf.learners.includes(name);
  }

  private nameOf(id: bigint): string {
    const m = this.members.byId(id);
    if (!m || !this.inConf(m.name))
      throw new BackendError('member-not-found', 'etcdserver: member not found');
    return m.name;
  }

  private async confChange(cc: ConfChange): Promise<void> {
    try {
      await this.kv.node.proposeConfChange(cc);
    } catch (e) {
      if (e instanceof RaftNodeError && (e.code === 'leader-changed' || e.code === 'no-leader')) {
        // Refused: another change is still pending, or the leader has not committed in its term.
        throw new BackendError(
          'unhealthy-cluster',
          'etcdserver: unhealthy cluster (a membership change is already in progress, or there is no leader)',
        );
      }
      await guard(() => Promise.reject(e));
    }
  }

  async status(): Promise<MemberStatus> {
    const s = this.kv.node.status();
    const leader = s.lead ? (this.members.get(s.lead)?.id ?? 0n) : 0n;
    return {
      version: ETCD_API_VERSION,
      dbSize: await this.kv.store.approximateSize(),
      dbSizeInUse: await this.kv.store.approximateSize(),
      leader,
      raftIndex: s.commit,
      raftTerm: s.term,
      raftAppliedIndex: s.applied,
      isLearner: s.conf.learners.includes(s.id),
      errors: s.lead ? [] : ['etcdserver: no leader'],
    };
  }

  async *snapshot(): AsyncIterable<Uint8Array> {
    const snap = await this.kv.store.createSnapshot();
    yield* snap;
  }
}

/** Raft failures become etcd's errors; the store's own pass through. */
async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof RaftNodeError) {
      switch (e.code) {
        case 'no-leader':
          throw new BackendError('no-leader', 'etcdserver: no leader');
        case 'timeout':
          throw new BackendError('timeout', 'etcdserver: request timed out');
        case 'leader-changed':
          throw new BackendError('leader-changed', 'etcdserver: leader changed');
        case 'too-many-requests':
          throw new BackendError('too-many-requests', 'etcdserver: too many requests');
        case 'stopping':
          throw new BackendError('stopping', 'etcdserver: server stopped');
      }
    }
    throw e as StoreError;
  }
}
