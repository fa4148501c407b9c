import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChannelCredentials, credentials, makeGenericClientConstructor } from '@grpc/grpc-js';

/**
 * TLS with the admin certificate when the cluster PKI of `flotilla up` is there (FLOTILLA_PKI_DIR,
 * else ./data/pki), as the etcd port requires; plain h2c otherwise (an --insecure cluster).
 */
export function etcdCredentials(dir = process.env.FLOTILLA_PKI_DIR ?? join('data', 'pki')) {
  const [ca, key, cert] = ['ca.crt', 'admin.key', 'admin.crt'].map((f) => join(dir, f));
  if (![ca, key, cert].every((f) => existsSync(f))) return credentials.createInsecure();
  return credentials.createSsl(
    readFileSync(ca),
    readFileSync(key),
    readFileSync(cert),
  ) as ChannelCredentials;
}
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadEtcdServices } from '@flotilla/etcd-api';

export interface MemberRow {
  name: string;
  id: string;
  endpoint: string;
  isLeader: boolean;
  /** The leader this member knows of (none during an election). */
  leaderName?: string;
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

export interface MemberEntry {
  ID?: string;
  id?: string;
  name: string;
  peerURLs: string[];
  isLearner: boolean;
}

/** Cluster membership changes through the first endpoint that answers. */
export async function changeMembers(
  endpoints: string[],
  change:
    | { kind: 'add'; name: string; peerUrl: string; learner: boolean }
    | { kind: 'remove' | 'promote'; name: string },
  timeoutMs = 10_000,
): Promise<MemberEntry[]> {
  const services = loadEtcdServices();
  const Cluster = makeGenericClientConstructor(services.Cluster as ServiceDefinition, 'Cluster');
  let lastError: Error | undefined;
  for (const endpoint of endpoints) {
    const cluster = new Cluster(endpoint, etcdCredentials()) as unknown as Record<
      string,
      unknown
    > & { close(): void };
    try {
      if (change.kind === 'add') {
        const r = await call(
          cluster,
          'MemberAdd',
          { peerURLs: [change.peerUrl], isLearner: change.learner, name: change.name },
          timeoutMs,
        );
        return r.members as MemberEntry[];
      }
      const list = (await call(cluster, 'MemberList', {}, timeoutMs)).members as MemberEntry[];
      const member = list.find((m) => m.name === change.name);
      if (!member) throw new Error(`no member named ${JSON.stringify(change.name)}`);
      const method = change.kind === 'remove' ? 'MemberRemove' : 'MemberPromote';
      return (await call(cluster, method, { ID: member.ID ?? member.id }, timeoutMs))
        .members as MemberEntry[];
    } catch (e) {
      lastError = e as Error;
      // A refusal from a live member is final; only an unreachable one sends us to the next.
      if (!/UNAVAILABLE|DEADLINE_EXCEEDED|No connection/.test(lastError.message))
        throw new Error(lastError.message.replace(/^\d+ [A-Z_]+: /, ''));
    } finally {
      cluster.close();
    }
  }
  throw lastError ?? new Error('no endpoint');
}

/**
 * Asks every endpoint, all at once, for its Raft status over the etcd v3 API (Cluster.MemberList
 * and Maintenance.Status), the same calls `etcdctl endpoint status` makes. A paused or dead
 * member costs at most timeoutMs, never the others' answers.
 */
/** `pkiDir`: where the admin certificate is (TLS), else ./data/pki or plain h2c (see etcdCredentials). */
export async function memberStatus(
  endpoints: string[],
  timeoutMs = 2000,
  pkiDir?: string,
): Promise<MemberRow[]> {
  const services = loadEtcdServices();
  const Cluster = makeGenericClientConstructor(services.Cluster as ServiceDefinition, 'Cluster');
  const Maintenance = makeGenericClientConstructor(
    services.Maintenance as ServiceDefinition,
    'Maintenance',
  );
  const names = new Map<string, string>();
  const answers = await Promise.all(
    endpoints.map(async (endpoint) => {
      const cluster = new Cluster(endpoint, etcdCredentials(pkiDir)) as unknown as Record<
        string,
        unknown
      > & { close(): void };
      const maintenance = new Maintenance(endpoint, etcdCredentials(pkiDir)) as unknown as Record<
        string,
        unknown
      > & { close(): void };
      try {
        const [list, status] = await Promise.all([
          call(cluster, 'MemberList', {}, timeoutMs),
          call(maintenance, 'Status', {}, timeoutMs),
        ]);
        for (const m of list.members as { ID: string; name: string }[])
          names.set(String(m.ID), m.name);
        return { endpoint, status };
      } catch (e) {
        return { endpoint, error: (e as Error).message.split('\n')[0] };
      } finally {
        cluster.close();
        maintenance.close();
      }
    }),
  );
  return answers.map(({ endpoint, status: s, error }): MemberRow => {
    if (!s) {
      return {
        name: '?',
        id: '-',
        endpoint,
        isLeader: false,
        term: '-',
        commit: '-',
        applied: '-',
        error,
      };
    }
    const id = String((s.header as { member_id: string }).member_id);
    const leader = String(s.leader);
    return {
      name: names.get(id) ?? '?',
      id: BigInt(id).toString(16),
      endpoint,
      isLeader: leader === id,
      leaderName: leader === '0' ? undefined : (names.get(leader) ?? BigInt(leader).toString(16)),
      term: String(s.raftTerm),
      commit: String(s.raftIndex),
      applied: String(s.raftAppliedIndex),
    };
  });
}
