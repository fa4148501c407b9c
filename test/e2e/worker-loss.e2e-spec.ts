// A worker container dies (SIGKILL: containerd, its pods and the node agent at once). Proves, on
// the compose topology with real containerd workers: its Node goes NotReady; its pods are evicted
// once their (short) NoExecute toleration runs out and come back Running on the other worker; and
// the Service answers a retrying client inside the surviving worker in every probe round.
import { waitFor } from '../integration/support/wait';
import { ClusterApi, demoWeb, nodeReadiness, podsOf } from './support/cluster-api';
import { ServiceProber } from './support/service-prober';
import { WorkerContainers } from './support/worker-containers';
import { startWorkerCluster, type WorkerCluster } from './support/worker-cluster';

const NS = 'default';
const APP = 'web';
const REPLICAS = 4;

describe('a worker container is killed (masters + two containerd workers)', () => {
  let workers: WorkerContainers | undefined;
  let api: ClusterApi;
  let cluster: WorkerCluster | undefined;

  beforeAll(async () => {
    // A node silent for 20 s is unreachable (40 s by default): keeps the scenario short.
    cluster = await startWorkerCluster({ FLOTILLA_NODE_MONITOR_GRACE_PERIOD: '20s' });
    ({ workers, api } = cluster);
  }, 300_000);

  afterAll(async () => {
    await cluster?.cleanup();
  });

  it('marks its Node NotReady, moves its pods to the other worker, and the Service keeps answering inside the survivor', async () => {
    const { deployment, service } = demoWeb({
      name: APP,
      replicas: REPLICAS,
      tolerationSeconds: 2,
    });
    await api.create(`/apis/apps/v1/namespaces/${NS}/deployments`, deployment);
    await api.create(`/api/v1/namespaces/${NS}/services`, service);
    const spread = await waitFor(
      `${REPLICAS} ready pods of ${APP} on both workers`,
      async () => {
        const pods = await podsOf(api, NS, APP);
        const ready = pods?.filter((p) => p.ready && !p.deleting) ?? [];
        const nodes = new Set(ready.map((p) => p.node));
        return ready.length === REPLICAS && nodes.has('w1') && nodes.has('w2') ? ready : undefined;
      },
      180_000,
      1000,
    );
    const onW1 = spread.filter((p) => p.node === 'w1').map((p) => p.name);
    const svc = await api.request<{ spec: { clusterIP: string } }>(
      'GET',
      `/api/v1/namespaces/${NS}/services/${APP}`,
    );
    const clusterIp = svc.body.spec.clusterIP;

    const w = workers!;
    // kube-proxy on w2 has the Service: probing starts from a working state.
    await waitFor(
      'the Service answering from inside w2',
      async () => {
        const r = await w.exec('w2', ['curl', '-s', '--max-time', '2', `http://${clusterIp}/`]);
        return r.exitCode === 0 && r.output.startsWith(`${APP}-`) ? true : undefined;
      },
      60_000,
      1000,
    );

    // Until w1's Node is found silent, its two dead endpoints stay in the rotation: each try
    // picks one at random, so half the tries fail there; 20 tries make a failed round ~1e-6.
    const prober = new ServiceProber(w, 'w2', clusterIp, { maxRounds: 400, attempts: 20 });
    // A few rounds before the kill.
    await new Promise((r) => setTimeout(r, 2000));

    const killedAt = await w.kill('w1');
    const notReadyAt = await waitFor(
      'Node w1 not Ready',
      async () => ((await nodeReadiness(api))?.get('w1') !== 'True' ? Date.now() : undefined),
      120_000,
      500,
    );
    const movedAt = await waitFor(
      `${REPLICAS} ready pods of ${APP}, all on w2`,
      async () => {
        const pods = await podsOf(api, NS, APP);
        const live = pods?.filter((p) => !p.deleting) ?? [];
        return live.length === REPLICAS && live.every((p) => p.node === 'w2' && p.ready)
          ? Date.now()
          : undefined;
      },
      180_000,
      1000,
    );
    // Some rounds after the move, so the last rounds run on the new endpoints only.
    await new Promise((r) => setTimeout(r, 3000));
    const rounds = await prober.stop();

    const afterKill = rounds.filter((r) => r.at >= killedAt);
    const failed = rounds.filter((r) => r.answer === undefined);
    console.log(
      [
        `worker loss timeline (ms after SIGKILL of w1; pods on w1 were ${onW1.join(', ')}):`,
        `  Node w1 not Ready: ${notReadyAt - killedAt}`,
        `  all ${REPLICAS} pods ready on w2: ${movedAt - killedAt}`,
        `  probe rounds after the kill: ${afterKill.length}, failed: ${failed.length}, most tries in a round: ${Math.max(...rounds.map((r) => r.attempts))}`,
      ].join('\n'),
    );
    expect(failed).toEqual([]);
    expect(afterKill.length).toBeGreaterThan(5);
    // After the move, answers come from pods that run on w2 now, none from the dead worker's.
    const last = rounds.filter((r) => r.at > movedAt).map((r) => r.answer);
    expect(last.length).toBeGreaterThan(0);
    for (const name of last) expect(onW1).not.toContain(name);
  }, 600_000);
});
