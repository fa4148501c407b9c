import {
  ClusterState,
  NodesRecord,
  removeClusterState,
  writeClusterState,
} from '../cluster-state/cluster-state';
import type { MemberStatus } from '../supervisor/member-supervisor';
import { connectHost, type MemberPlan } from './member-plan';

export interface ClusterRecordOptions {
  dataDir: string;
  kubeconfig: string;
  listenHost: string;
  scheme: 'http' | 'https';
  plans: readonly MemberPlan[];
  supervisorPid: number;
  restartPolicy?: 'on-failure' | 'no';
  now?: () => Date;
}

/** Builds the record of the cluster from the plans and the supervisor's view of each member. */
export function clusterState(
  o: ClusterRecordOptions,
  statuses: readonly MemberStatus[],
  startedAt: Date,
  updatedAt: Date,
  nodes: NodesRecord = {},
): ClusterState {
  const host = connectHost(o.listenHost);
  return {
    version: 1,
    supervisorPid: o.supervisorPid,
    ...(o.restartPolicy ? { restartPolicy: o.restartPolicy } : {}),
    startedAt: startedAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
    dataDir: o.dataDir,
    kubeconfig: o.kubeconfig,
    host,
    scheme: o.scheme,
    members: o.plans.map((p) => {
      const s = statuses.find((x) => x.name === p.name);
      return {
        name: p.name,
        pid: s?.pid ?? null,
        state: s?.state ?? 'stopped',
        apiPort: p.apiPort,
        etcdPort: p.etcdPort,
        peerPort: p.peerPort,
        peerHost: p.peerHost,
        dataDir: p.dataDir,
      };
    }),
    ...nodes,
  };
}

/** Keeps DATA/cluster.json in step with the members: call update() on every start and exit. */
export function clusterRecorder(
  o: ClusterRecordOptions,
  statuses: () => MemberStatus[],
  nodes: () => NodesRecord = () => ({}),
) {
  const now = o.now ?? (() => new Date());
  const startedAt = now();
  return {
    update(): void {
      try {
        writeClusterState(clusterState(o, statuses(), startedAt, now(), nodes()));
      } catch (err) {
        // The record serves other commands; the cluster itself runs on without it.
        process.stderr.write(`flotilla: cannot write the cluster record: ${String(err)}\n`);
      }
    },
    remove(): void {
      removeClusterState(o.dataDir, o.supervisorPid);
    },
  };
}
