// Where `flotilla members` asks when no --endpoints is given. With real workers `flotilla up`'s
// masters listen on the fabric address (10.239.0.254), not loopback, so the fixed loopback list
// found nobody; the running cluster's own record knows where its etcd ports are.
import type { ClusterState } from '../cluster-state/cluster-state';
import { readClusterState } from '../cluster-state/cluster-state';

export const LOOPBACK_ENDPOINTS = '127.0.0.1:2379,127.0.0.1:2479,127.0.0.1:2579';

export function endpointsOf(state: Pick<ClusterState, 'host' | 'members'>): string {
  return state.members.map((m) => `${state.host}:${m.etcdPort}`).join(',');
}

/** The local cluster's etcd endpoints when `flotilla up` runs from dataDir, else loopback's. */
export function defaultEndpoints(
  dataDir = 'data',
  read: (dir: string) => ClusterState = readClusterState,
): string {
  try {
    return endpointsOf(read(dataDir));
  } catch {
    return LOOPBACK_ENDPOINTS;
  }
}
