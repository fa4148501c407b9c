import { credentials, makeGenericClientConstructor } from '@grpc/grpc-js';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadEtcdServices } from '@flotilla/etcd-api/proto/load-etcd-services';

export interface MemberRow {
  name: string;
  id: string;
  endpoint: string;
  isLeader: boolean;
  term: string;
  commit: string;
  applied: string;
  error?: string;
}

type Unary = (
  req: object,
  opts: { deadline: Date },
  cb: (err: Error | null, res: Record<string, unknown>) => void,
) => void;

function call(
  client: Record<string, unknown>,
  method: string,
  req: object,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    (client[method] as Unary).call(
      client,
      req,
      { deadline: new Date(Date.now() + timeoutMs) },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
}

/**
 * Asks every endpoint for its Raft status over the etcd v3 API (Cluster.MemberList and
 * Maintenance.Status), the same calls `etcdctl endpoint status` makes.
 */
export async function memberStatus(endpoints: string[], timeoutMs = 2000): Promise<MemberRow[]> {
  const services = loadEtcdServices();
  const Cluster = makeGenericClientConstructor(services.Cluster as ServiceDefinition, 'Cluster');
  const Maintenance = makeGenericClientConstructor(
    services.Maintenance as ServiceDefinition,
    'Maintenance',
  );
  const names = new Map<string, string>();
  const rows: MemberRow[] = [];
  for (const endpoint of endpoints) {
    const cluster = new Cluster(endpoint, credentials.createInsecure()) as unknown as Record<
      string,
      unknown
    > & { close(): void };
    const maintenance = new Maintenance(
      endpoint,
      credentials.createInsecure(),
    ) as unknown as Record<string, unknown> & { close(): void };
    try {
      if (names.size === 0) {
        const list = await call(cluster, 'MemberList', {}, timeoutMs);
        for (const m of list.members as { ID: string; name: string }[])
          names.set(String(m.ID), m.name);
      }
      const s = await call(maintenance, 'Status', {}, timeoutMs);
      const header = s.header as { member_id: string };
      const id = String(header.member_id);
      rows.push({
        name: names.get(id) ?? '?',
        id: BigInt(id).toString(16),
        endpoint,
        isLeader: String(s.leader) === id,
        term: String(s.raftTerm),
        commit: String(s.raftIndex),
        applied: String(s.raftAppliedIndex),
      });
    } catch (e) {
      rows.push({
        name: '?',
        id: '-',
        endpoint,
        isLeader: false,
        term: '-',
        commit: '-',
        applied: '-',
        error: (e as Error).message.split('\n')[0],
      });
    } finally {
      cluster.close();
      maintenance.close();
    }
  }
  return rows;
}
