// The record `flotilla up` keeps of the cluster it runs (DATA/cluster.json), so that `flotilla
// status` and `flotilla chaos` find its members, their pids and ports without being told.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '@flotilla/process';

export const CLUSTER_STATE_FILE = 'cluster.json';

export interface MemberRecord {
  name: string;
  /** The member's process (leader of its own process group); null while it is not running. */
  pid: number | null;
  state: 'running' | 'stopping' | 'stopped' | 'exited';
  apiPort: number;
  etcdPort: number;
  peerPort: number;
  /** Its Raft address; its own (127.0.10.N) when `flotilla up` gives each member one. */
  peerHost?: string;
  dataDir: string;
}

/** A real worker of `flotilla up` (root): its network namespace and processes. */
export interface WorkerRecord {
  name: string;
  netns: string;
  address: string;
  /** The node agent (kubelet, kube-proxy, pod network, DNS); null until it started. */
  agentPid: number | null;
  containerdPid: number;
  /** Why it did not start again on the last SIGHUP, if it did not. */
  restartError?: string;
}

export interface NodesRecord {
  workers?: WorkerRecord[];
  /** How many hollow nodes (hollow-0..) `flotilla up` plays. */
  hollowNodes?: number;
}

export interface ClusterState extends NodesRecord {
  version: 1;
  /** The `flotilla up` process: SIGHUP to it starts every member that is not running. */
  supervisorPid: number;
  /**
   * on-failure: `flotilla up` starts a master that died on its own again after a short back-off
   * (unless DATA/keep-down.json holds it); no (or absent: an older `up`): it stays down.
   */
  restartPolicy?: 'on-failure' | 'no';
  startedAt: string;
  updatedAt: string;
  dataDir: string;
  kubeconfig: string;
  /** Where clients connect (loopback when the members listen on every address). */
  host: string;
  scheme: 'http' | 'https';
  members: MemberRecord[];
}

export function clusterStatePath(dataDir: string): string {
  return join(dataDir, CLUSTER_STATE_FILE);
}

/** Written whole to a temporary file and renamed, so a reader never sees half a record. */
export function writeClusterState(state: ClusterState): void {
  const path = clusterStatePath(state.dataDir);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/** Removed only when it is still ours: a second `up` on the same directory keeps its record. */
export function removeClusterState(dataDir: string, supervisorPid: number): void {
  const path = clusterStatePath(dataDir);
  try {
    const current = JSON.parse(readFileSync(path, 'utf8')) as Partial<ClusterState>;
    if (current.supervisorPid !== supervisorPid) return;
  } catch {
    // Unreadable or gone: nothing of ours to keep.
  }
  rmSync(path, { force: true });
}

/** No local cluster to act on: exit code 2, as for any other usage error. */
export class NoClusterError extends ConfigError {}

/**
 * The running cluster recorded under dataDir. Throws NoClusterError when there is no record,
 * the record is unreadable, or the `flotilla up` that wrote it is gone.
 */
export function readClusterState(
  dataDir: string,
  isAlive: (pid: number) => boolean = processIsAlive,
): ClusterState {
  const path = clusterStatePath(resolve(dataDir));
  const hint = 'start one with "flotilla up" (or pass --data-dir)';
  if (!existsSync(path)) {
    throw new NoClusterError(`no local cluster running: ${path} does not exist; ${hint}`);
  }
  let state: ClusterState;
  try {
    state = JSON.parse(readFileSync(path, 'utf8')) as ClusterState;
  } catch (err) {
    throw new NoClusterError(`cannot read ${path}: ${(err as Error).message}`);
  }
  if (state.version !== 1 || !Array.isArray(state.members) || !state.supervisorPid) {
    throw new NoClusterError(`${path} is not a cluster record this flotilla understands`);
  }
  if (!isAlive(state.supervisorPid)) {
    throw new NoClusterError(
      `no local cluster running: the flotilla up that wrote ${path} (pid ${state.supervisorPid}) is gone; ${hint}`,
    );
  }
  return state;
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, but someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
