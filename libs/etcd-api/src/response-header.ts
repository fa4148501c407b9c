// ResponseHeader {cluster_id, member_id, revision, raft_term} from the backend's identity.
import type { EtcdBackend } from './backend';
import type { HeaderFor } from './wire-convert';

export function headerSource(backend: EtcdBackend): HeaderFor {
  return (revision?: number) => {
    const { clusterId, memberId } = backend.identity();
    return {
      cluster_id: clusterId.toString(),
      member_id: memberId.toString(),
      revision: revision ?? backend.revision(),
      raft_term: backend.raftTerm(),
    };
  };
}
