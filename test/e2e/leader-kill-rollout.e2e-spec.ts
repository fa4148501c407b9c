// kill -9 of the master that leads Raft and holds both component Leases (kube-scheduler,
// kube-controller-manager) in the middle of a 20-replica rolling update on two containerd workers.
// Proves: Raft elects among the survivors, both Leases move to survivors, the rollout completes,
// and no pod is ever bound to two nodes (the API never shows a pod's node change, and no pod UID
// runs on both workers). Prints the failover timeline.
import { waitFor } from '../integration/support/wait';
import { ClusterApi, demoWeb, podsOf } from './support/cluster-api';
import { MEMBER_NAMES, MasterContainers, MemberName } from './support/master-containers';
import { WorkerContainers } from './support/worker-containers';
import { startWorkerCluster, type WorkerCluster } from './support/worker-cluster';
import { COMPONENT_LEASES, coLocateComponents } from './support/co-locate';

const NS = 'default';
const APP = 'roll';
const REPLICAS = 20;

interface LeaseObject {
  spec?: { holderIdentity?: string; renewTime?: string; acquireTime?: string };
}

/** The member holding a component Lease ("m2_<id>" -> m2), from any master that answers. */
async function leaseHolder(api: ClusterApi, lease: string): Promise<string | undefined> {
  const l = await api.tryGet<LeaseObject>(
    `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${lease}`,
  );
  return l?.spec?.holderIdentity?.split('_')[0];
}

describe('the Raft leader holding both component Leases is killed during a rolling update', () => {
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

  /** One member leads Raft and holds both Leases (see coLocateComponents). */
  function coLocate(m: MasterContainers): Promise<MemberName> {
    return coLocateComponents(m, (lease) => leaseHolder(api, lease), { raftLeader: true });
  }

  it('elects among the survivors, moves both Leases there, completes the rollout, and binds no pod twice', async () => {
    const m = masters!;
    const w = workers!;
    const { deployment } = demoWeb({ name: APP, replicas: REPLICAS });
    await api.create(`/apis/apps/v1/namespaces/${NS}/deployments`, deployment);
    await waitFor(
      `${REPLICAS} ready pods of ${APP}`,
      async () => {
        const pods = await podsOf(api, NS, APP);
        const ready = pods?.filter((p) => p.ready && !p.deleting) ?? [];
        return ready.length === REPLICAS ? true : undefined;
      },
      300_000,
      1000,
    );
    const victim = await coLocate(m);
    const survivors = MEMBER_NAMES.filter((n) => n !== victim);

    // Every node a pod was ever seen bound to, polled until the rollout is done.
    const boundTo = new Map<string, Set<string>>();
    let watching = true;
    const watcher = (async () => {
      for (let i = 0; i < 2000 && watching; i++) {
        for (const p of (await podsOf(api, NS, APP)) ?? []) {
          if (!p.node) continue;
          const nodes = boundTo.get(p.uid) ?? new Set<string>();
          nodes.add(p.node);
          boundTo.set(p.uid, nodes);
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    })();

    const patched = await api.request(
      'PATCH',
      `/apis/apps/v1/namespaces/${NS}/deployments/${APP}`,
      {
        spec: { template: { metadata: { annotations: { 'e2e/rollout': 'second' } } } },
      },
    );
    expect(patched.status).toBe(200);
    await waitFor(
      'the rolling update under way (new pods created)',
      async () => {
        const d = await api.tryGet<{ status?: { updatedReplicas?: number } }>(
          `/apis/apps/v1/namespaces/${NS}/deployments/${APP}`,
        );
        return (d?.status?.updatedReplicas ?? 0) >= 2 ? true : undefined;
      },
      60_000,
      200,
    );

    // The premise, checked at the last moment: the victim still leads Raft and holds both Leases.
    expect(await m.agreedLeader(MEMBER_NAMES)).toBe(victim);
    expect(await Promise.all(COMPONENT_LEASES.map((l) => leaseHolder(api, l)))).toEqual(
      COMPONENT_LEASES.map(() => victim),
    );
    const killedAt = await m.kill(victim);
    const newLeader = await m.waitForLeader(survivors, 60_000);
    const electedAt = Date.now();
    const takeovers = await Promise.all(
      COMPONENT_LEASES.map((lease) =>
        waitFor(
          `the ${lease} Lease held by a survivor`,
          async () => {
            const holder = await leaseHolder(api, lease);
            return holder && survivors.includes(holder as MemberName)
              ? { lease, holder, at: Date.now() }
              : undefined;
          },
          60_000,
          100,
        ),
      ),
    );
    const doneAt = await waitFor(
      `the rollout of ${APP} complete`,
      async () => {
        const d = await api.tryGet<{
          metadata: { generation: number };
          status?: {
            observedGeneration?: number;
            replicas?: number;
            updatedReplicas?: number;
            readyReplicas?: number;
            availableReplicas?: number;
          };
        }>(`/apis/apps/v1/namespaces/${NS}/deployments/${APP}`);
        const s = d?.status;
        return s &&
          (s.observedGeneration ?? 0) >= d.metadata.generation &&
          s.replicas === REPLICAS &&
          s.updatedReplicas === REPLICAS &&
          s.readyReplicas === REPLICAS &&
          s.availableReplicas === REPLICAS
          ? Date.now()
          : undefined;
      },
      300_000,
      500,
    );
    watching = false;
    await watcher;

    console.log(
      [
        `leader kill during a ${REPLICAS}-replica rollout (ms after SIGKILL of ${victim}):`,
        `  Raft leader ${newLeader}: ${electedAt - killedAt} (observed)`,
        ...takeovers.map((t) => `  ${t.lease} Lease on ${t.holder}: ${t.at - killedAt} (observed)`),
        `  rollout complete: ${doneAt - killedAt}`,
      ].join('\n'),
    );

    const twice = [...boundTo].filter(([, nodes]) => nodes.size > 1);
    expect(twice).toEqual([]);
    // The old and the new pods were all seen bound (the check above is not vacuous).
    expect(boundTo.size).toBeGreaterThanOrEqual(2 * REPLICAS);
    const pods = (await podsOf(api, NS, APP)) ?? [];
    expect(pods.filter((p) => !p.deleting && p.ready)).toHaveLength(REPLICAS);
    const [onW1, onW2] = await Promise.all([w.podUids('w1'), w.podUids('w2')]);
    expect(onW1.filter((uid) => onW2.includes(uid))).toEqual([]);
  }, 900_000);
});
