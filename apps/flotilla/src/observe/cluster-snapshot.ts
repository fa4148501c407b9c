import { join } from 'node:path';
// One look at the local cluster: each master's Raft state over its etcd API (as `flotilla
// members` asks it), and through the Kubernetes API the component Leases, the nodes and the pods.
import type { KubeClient, Lease, Node, Pod } from '@flotilla/client';
import type { ClusterState, WorkerRecord } from '../cluster-state/cluster-state';
import { memberStatus } from '../members/etcd-status-client';

/** The Leases the masters' Lease-gated components compete for. */
export const COMPONENT_LEASES = ['kube-scheduler', 'kube-controller-manager'] as const;

export interface MasterSnapshot {
  name: string;
  pid: number | null;
  /** leader / follower (knows a leader) / no-leader (answers, knows none) / down (no answer). */
  role: 'leader' | 'follower' | 'no-leader' | 'down';
  term?: number;
  commit?: number;
  applied?: number;
  /** The leader this member knows of. */
  leader?: string;
  api: string;
  error?: string;
}

export interface LeaseSnapshot {
  lease: string;
  /** The master whose component holds it (identities are `<master>_<random>`). */
  holder?: string;
  identity?: string;
  acquired?: string;
  renewed?: string;
  /** Past renewTime + leaseDurationSeconds: whoever held it stopped renewing. */
  expired: boolean;
}

export interface NodeSnapshot {
  name: string;
  /** The Ready condition's status: True, False or Unknown. */
  ready: string;
  pods?: number;
}

export interface ClusterSnapshot {
  takenAt: string;
  masters: MasterSnapshot[];
  /** The real workers `flotilla up` runs (root), as recorded. */
  workers?: WorkerRecord[];
  /** Undefined when the Kubernetes API did not answer (apiError says why). */
  leases?: LeaseSnapshot[];
  nodes?: NodeSnapshot[];
  /** Pods bound to no node yet (only when pods were counted). */
  unscheduledPods?: number;
  apiError?: string;
}

export interface SnapshotOptions {
  /** Per etcd call: a paused master costs this much, no more. */
  etcdTimeoutMs: number;
  /** Count pods per node (a full list: status does it once, chaos's polling does not). */
  pods: boolean;
  now?: () => number;
}

export async function takeSnapshot(
  state: ClusterState,
  client: KubeClient,
  o: SnapshotOptions,
): Promise<ClusterSnapshot> {
  const now = o.now ?? Date.now;
  const [masters, api] = await Promise.all([
    masterSnapshots(state, o.etcdTimeoutMs),
    apiSnapshot(client, o.pods, now).catch((err: unknown) => ({
      apiError: (err as Error).message.split('\n')[0],
    })),
  ]);
  return {
    takenAt: new Date(now()).toISOString(),
    masters,
    ...(state.workers ? { workers: state.workers } : {}),
    ...api,
  };
}

/** Each master's Raft state (or only the named ones'). */
export async function masterSnapshots(
  state: ClusterState,
  timeoutMs: number,
  only?: readonly string[],
): Promise<MasterSnapshot[]> {
  const members = state.members.filter((m) => !only || only.includes(m.name));
  const endpoints = members.map((m) => hostPort(state.host, m.etcdPort));
  // The admin certificate of a secure cluster; an --insecure one has none (plain h2c then).
  const rows = await memberStatus(endpoints, timeoutMs, join(state.dataDir, 'pki'));
  return members.map((m, i) => {
    const row = rows[i];
    const api = `${state.scheme}://${hostPort(state.host, m.apiPort)}`;
    if (row.error) return { name: m.name, pid: m.pid, role: 'down', api, error: row.error };
    return {
      name: m.name,
      pid: m.pid,
      role: row.isLeader ? 'leader' : row.leaderName ? 'follower' : 'no-leader',
      term: Number(row.term),
      commit: Number(row.commit),
      applied: Number(row.applied),
      leader: row.leaderName,
      api,
    };
  });
}

/** The component Leases and the nodes (and, with countPods, pods per node) from the API. */
export async function apiSnapshot(
  client: KubeClient,
  countPods: boolean,
  now: () => number,
): Promise<Pick<ClusterSnapshot, 'leases' | 'nodes' | 'unscheduledPods'>> {
  const leaseClient = client.leases('kube-system');
  const [leases, nodes, pods] = await Promise.all([
    Promise.all(
      COMPONENT_LEASES.map((name) =>
        leaseClient.get(name).catch((err: { code?: number }) => {
          if (err.code === 404) return undefined;
          throw err;
        }),
      ),
    ),
    client.nodes().listAll(),
    countPods ? client.pods().listAll() : Promise.resolve(undefined),
  ]);
  const podsByNode = new Map<string, number>();
  let unscheduled = 0;
  for (const pod of (pods?.items ?? []) as Pod[]) {
    if (isFinished(pod)) continue;
    const node = pod.spec?.nodeName;
    if (node) podsByNode.set(node, (podsByNode.get(node) ?? 0) + 1);
    else unscheduled++;
  }
  return {
    leases: COMPONENT_LEASES.map((name, i) => leaseSnapshot(name, leases[i], now())),
    nodes: (nodes.items as Node[]).map((n) => ({
      name: n.metadata.name ?? '',
      ready: n.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown',
      ...(pods ? { pods: podsByNode.get(n.metadata.name ?? '') ?? 0 } : {}),
    })),
    ...(pods ? { unscheduledPods: unscheduled } : {}),
  };
}

export function leaseSnapshot(
  name: string,
  lease: Lease | undefined,
  nowMs: number,
): LeaseSnapshot {
  const identity = lease?.spec?.holderIdentity ?? undefined;
  if (!lease || !identity) return { lease: name, expired: true };
  const renewed = lease.spec?.renewTime ?? lease.spec?.acquireTime ?? undefined;
  const duration = lease.spec?.leaseDurationSeconds ?? 0;
  const expired = renewed === undefined || Date.parse(renewed) + duration * 1000 < nowMs;
  return {
    lease: name,
    holder: identity.split('_')[0],
    identity,
    ...(lease.spec?.acquireTime ? { acquired: lease.spec.acquireTime } : {}),
    ...(renewed ? { renewed } : {}),
    expired,
  };
}

function isFinished(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
