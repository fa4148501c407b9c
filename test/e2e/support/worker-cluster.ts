import { waitFor } from '../../integration/support/wait';
import { ClusterApi, nodeReadiness } from './cluster-api';
import { MEMBER_NAMES, MasterContainers } from './master-containers';
import { WorkerContainers } from './worker-containers';

/** Three masters and the containerd workers w1, w2, as the whole-cluster scenarios start. */
export interface WorkerCluster {
  masters: MasterContainers;
  workers: WorkerContainers;
  api: ClusterApi;
  cleanup(): Promise<void>;
}

/**
 * Starts three secure masters (with `extraEnvironment` on each) and workers w1, w2, and returns
 * once Raft has a leader and both Nodes are Ready. What started is removed again if a later step
 * fails, since the caller's afterAll never sees a cluster it did not get.
 */
export async function startWorkerCluster(
  extraEnvironment: Record<string, string> = {},
): Promise<WorkerCluster> {
  const masters = await MasterContainers.create(extraEnvironment);
  let workers: WorkerContainers | undefined;
  const cleanup = async () => {
    await workers?.cleanup();
    await masters.cleanup();
  };
  try {
    await masters.start();
    await masters.waitForLeader(MEMBER_NAMES, 90_000);
    workers = await WorkerContainers.create(masters);
    const started = workers;
    await Promise.all([started.start('w1'), started.start('w2')]);
    const api = new ClusterApi(masters);
    await waitFor(
      'Nodes w1 and w2 Ready',
      async () => {
        const r = await nodeReadiness(api);
        return r?.get('w1') === 'True' && r.get('w2') === 'True' ? true : undefined;
      },
      90_000,
      1000,
    );
    return { masters, workers: started, api, cleanup };
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
}
