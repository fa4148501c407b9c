// Every master crashes at once (SIGKILL) and comes back on its volume. Proves, with real containerd
// workers: the pods keep running on the workers while no master is up (they still answer), and
// once the masters are back the cluster converges around them without recreating anything: the
// same pod UIDs, the same container IDs, no restart, no extra pod.
import { waitFor } from '../integration/support/wait';
import { ClusterApi, PodView, demoWeb, nodeReadiness, podsOf } from './support/cluster-api';
import { MEMBER_NAMES, MasterContainers } from './support/master-containers';
import { WorkerContainers } from './support/worker-containers';
import { startWorkerCluster, type WorkerCluster } from './support/worker-cluster';

const NS = 'default';
const APP = 'steady';
const REPLICAS = 4;

function identity(pods: PodView[]): string[] {
  return pods
    .map((p) => `${p.uid} ${p.node} ${p.containerIds.join(',')} restarts=${p.restarts}`)
    .sort();
}

describe('all masters restart at once (masters + two containerd workers)', () => {
  let masters: MasterContainers | undefined;
  let workers: WorkerContainers | undefined;
  let api: ClusterApi;
  let cluster: WorkerCluster | undefined;

  beforeAll(async () => {
    cluster = await startWorkerCluster();
    ({ masters, workers, api } = cluster);
  }, 300_000);

  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('keeps the pods running and converges without recreating them', async () => {
    const m = masters!;
    const w = workers!;
    const { deployment } = demoWeb({ name: APP, replicas: REPLICAS });
    await api.create(`/apis/apps/v1/namespaces/${NS}/deployments`, deployment);
    const before = await waitFor(
      `${REPLICAS} ready pods of ${APP}`,
      async () => {
        const pods = await podsOf(api, NS, APP);
        const ready = pods?.filter((p) => p.ready && !p.deleting && p.ip) ?? [];
        return ready.length === REPLICAS && pods?.length === REPLICAS ? ready : undefined;
      },
      180_000,
      1000,
    );

    const killedAt = Date.now();
    await Promise.all(MEMBER_NAMES.map((name) => m.kill(name)));

    // No master at all: every pod still answers on its pod IP, from the other worker.
    for (const pod of before) {
      const from = pod.node === 'w1' ? 'w2' : 'w1';
      const r = await w.exec(from, ['curl', '-s', '--max-time', '3', `http://${pod.ip}/`]);
      expect({ pod: pod.name, answer: r.output.trim() }).toEqual({
        pod: pod.name,
        answer: pod.name,
      });
    }

    await m.start();
    await m.waitForLeader(MEMBER_NAMES, 120_000);
    const leaderAt = Date.now();
    await waitFor(
      'Nodes w1 and w2 Ready again',
      async () => {
        const r = await nodeReadiness(api);
        return r?.get('w1') === 'True' && r.get('w2') === 'True' ? true : undefined;
      },
      120_000,
      1000,
    );
    // Both kubelets are talking to the new masters: their Leases are renewed after the restart.
    await waitFor(
      'the Node Leases of w1 and w2 renewed after the restart',
      async () => {
        const leases = await Promise.all(
          ['w1', 'w2'].map((n) =>
            api.tryGet<{ spec?: { renewTime?: string } }>(
              `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${n}`,
            ),
          ),
        );
        return leases.every((l) => Date.parse(l?.spec?.renewTime ?? '') > leaderAt)
          ? true
          : undefined;
      },
      120_000,
      1000,
    );
    // The controllers act again (one more replica appears) and leave the running ones alone.
    const scaled = await api.request('PATCH', `/apis/apps/v1/namespaces/${NS}/deployments/${APP}`, {
      spec: { replicas: REPLICAS + 1 },
    });
    expect(scaled.status).toBe(200);
    const after = await waitFor(
      `${REPLICAS + 1} ready pods of ${APP} after the restart`,
      async () => {
        const pods = await podsOf(api, NS, APP);
        const ready = pods?.filter((p) => p.ready && !p.deleting) ?? [];
        return ready.length === REPLICAS + 1 && pods?.length === REPLICAS + 1 ? ready : undefined;
      },
      120_000,
      1000,
    );
    const convergedAt = Date.now();
    console.log(
      `masters restart: leader ${leaderAt - killedAt} ms after the kill, the scaled Deployment ready ${convergedAt - killedAt} ms after`,
    );
    const beforeUids = new Set(before.map((p) => p.uid));
    expect(identity(after.filter((p) => beforeUids.has(p.uid)))).toEqual(identity(before));
  }, 600_000);
});
