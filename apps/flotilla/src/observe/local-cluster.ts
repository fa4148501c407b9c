import { resolve } from 'node:path';
import { KubeClient, connectFromKubeconfig } from '@flotilla/client';
import { OptionSpec, ConfigError } from '@flotilla/process';
import { ClusterState, readClusterState } from '../cluster-state/cluster-state';

export const DATA_DIR_OPTION: OptionSpec = {
  flag: 'data-dir',
  valueName: 'DIR',
  description: 'the data directory of the `flotilla up` to act on',
  defaultText: 'data',
};

/**
 * The cluster `flotilla up` runs from DIR, and a client for its API (short timeouts: probes).
 * The client asks `avoid` last (a master about to be cut off would cost a timeout per request).
 */
export function openLocalCluster(
  dataDir: string | undefined,
  avoid?: string,
): {
  state: ClusterState;
  client: KubeClient;
} {
  const state = readClusterState(resolve(dataDir ?? 'data'));
  const first = avoid ? state.members.find((m) => m.name !== avoid)?.name : undefined;
  try {
    const { client } = connectFromKubeconfig({
      kubeconfig: state.kubeconfig,
      component: 'flotilla',
      rateLimit: false,
      requestTimeoutMs: 3000,
      connectTimeoutMs: 500,
      rounds: 1,
      ...(first ? { context: `flotilla-${first}` } : {}),
    });
    return { state, client };
  } catch (err) {
    throw new ConfigError(`cannot use ${state.kubeconfig}: ${(err as Error).message}`);
  }
}
