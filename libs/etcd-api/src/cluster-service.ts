// etcdserverpb.Cluster: membership as the backend (Raft) knows it. Member IDs are uint64.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdBackend, MemberInfo } from './backend';
import { rpcErrors } from './rpc-errors';
import { EtcdApiLogger, unary } from './rpc-handlers';
import type { HeaderFor } from './wire-convert';
import type { Int64, WireMember } from './wire-types';

export function fromMember(m: MemberInfo): WireMember {
  return {
    ID: m.id.toString(),
    name: m.name,
    peerURLs: m.peerUrls,
    clientURLs: m.clientUrls,
    isLearner: m.isLearner,
  };
}

/** A uint64 from the wire; anything unparsable names no member. */
export function memberId(value: Int64 | undefined): bigint {
  try {
    return BigInt(value ?? 0);
  } catch {
    return 0n;
  }
}

export class ClusterService {
  constructor(
    private readonly backend: EtcdBackend,
    private readonly header: HeaderFor,
  ) {}

  async list() {
    const members = await this.backend.memberList();
    return { header: this.header(), members: members.map(fromMember) };
  }

  async add(w: { peerURLs: string[]; isLearner: boolean; name?: string }) {
    const res = await this.backend.memberAdd(
      w.peerURLs ?? [],
      w.isLearner === true,
      w.name || undefined,
    );
    return {
      header: this.header(),
      member: fromMember(res.member),
      members: res.members.map(fromMember),
    };
  }

  async remove(w: { ID: Int64 }) {
    const members = await this.backend.memberRemove(memberId(w.ID));
    return { header: this.header(), members: members.map(fromMember) };
  }

  async promote(w: { ID: Int64 }) {
    const members = await this.backend.memberPromote(memberId(w.ID));
    return { header: this.header(), members: members.map(fromMember) };
  }

  handlers(log: EtcdApiLogger): UntypedServiceImplementation {
    return {
      MemberList: unary(log, 'Cluster.MemberList', () => this.list()),
      MemberAdd: unary(log, 'Cluster.MemberAdd', (r: { peerURLs: string[]; isLearner: boolean }) =>
        this.add(r),
      ),
      MemberRemove: unary(log, 'Cluster.MemberRemove', (r: { ID: Int64 }) => this.remove(r)),
      MemberPromote: unary(log, 'Cluster.MemberPromote', (r: { ID: Int64 }) => this.promote(r)),
      MemberUpdate: unary(log, 'Cluster.MemberUpdate', () =>
        Promise.reject(rpcErrors.unimplemented('MemberUpdate')),
      ),
    };
  }
}
