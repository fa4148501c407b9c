// The scheduler in three real masters with hollow nodes: placement by resources, taints,
// selectors, zone spread and anti-affinity; a pod waiting for a node that does not exist yet,
// bound as soon as it is added, with `kubectl describe` saying why it waited; preemption; bad
// input; and a SIGKILL of the master holding the scheduler Lease during a burst of 2000 pods.
import { connectFromKubeconfig, type KubeClient, type Lease, type Pod } from '@flotilla/client';
import { HollowFleet } from '../../apps/flotilla/src/hollow-nodes/hollow-fleet';
import type { HollowOptions } from '../../apps/flotilla/src/hollow-nodes/hollow-options';
import { MasterCluster } from './support/master-cluster';
import { waitFor } from './support/wait';

const fleetOptions = (o: Partial<HollowOptions> & { namePrefix: string }): HollowOptions => ({
  count: 1,
  cpu: '4',
  memory: '8Gi',
  pods: 110,
  labels: {},
  taints: [],
  zones: 0,
  kubeconfig: '',
  leaseRenewMs: 10_000,
  concurrency: 32,
  ...o,
});

function pod(
  name: string,
  spec: Partial<NonNullable<Pod['spec']>> = {},
  labels: Record<string, string> = {},
  cpu = '100m',
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: {
      containers: [
        { name: 'c', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu } } },
      ],
      ...spec,
    },
  } as Pod;
}

describe('kube-scheduler in the masters, with hollow nodes', () => {
  let cluster: MasterCluster;
  let client: KubeClient;
  const fleets: HollowFleet[] = [];

  const addFleet = async (o: Partial<HollowOptions> & { namePrefix: string }) => {
    const fleet = new HollowFleet(client, fleetOptions(o));
    fleets.push(fleet);
    await fleet.start();
    return fleet;
  };
  const pods = () => client.pods('default');
  const running = (name: string) =>
    waitFor(
      `${name} running`,
      async () => {
        const p = await pods().get(name);
        const ready = p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        return p.status?.phase === 'Running' && ready && p.status.podIP ? p : undefined;
      },
      60_000,
    );
  const pendingBecause = (name: string, text: string) =>
    waitFor(
      `${name} pending because ${text}`,
      async () => {
        const c = (await pods().get(name)).status?.conditions?.find(
          (x) => x.type === 'PodScheduled',
        );
        return c?.status === 'False' && c.message?.includes(text) ? c.message : undefined;
      },
      60_000,
    );

  beforeAll(async () => {
    cluster = await MasterCluster.start(3);
    await cluster.waitForApi();
    client = connectFromKubeconfig({
      kubeconfig: cluster.kubeconfig,
      component: 'scheduler-test',
      rateLimit: false,
    }).client;
    await addFleet({ namePrefix: 'zoned', count: 6, zones: 3, labels: { pool: 'zoned' } });
    await addFleet({
      namePrefix: 'gpu',
      taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
      labels: { gpu: 'true' },
    });
  }, 180_000);

  afterAll(async () => {
    for (const f of fleets) await f.stop().catch(() => undefined);
    client?.close();
    await cluster?.shutdown();
  }, 120_000);

  it('places pods by zone spread, anti-affinity, taints and selectors; hollow kubelets run them', async () => {
    const spread = {
      nodeSelector: { pool: 'zoned' },
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'DoNotSchedule' as const,
          labelSelector: { matchLabels: { app: 'spread' } },
        },
      ],
    };
    for (let i = 0; i < 6; i++) await pods().create(pod(`spread-${i}`, spread, { app: 'spread' }));
    const anti = {
      nodeSelector: { pool: 'zoned' },
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            {
              labelSelector: { matchLabels: { app: 'anti' } },
              topologyKey: 'kubernetes.io/hostname',
            },
          ],
        },
      },
    };
    for (let i = 0; i < 3; i++) await pods().create(pod(`anti-${i}`, anti, { app: 'anti' }));
    await pods().create(
      pod('gpu-ok', {
        nodeSelector: { gpu: 'true' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
      }),
    );
    await pods().create(pod('gpu-untolerated', { nodeSelector: { gpu: 'true' } }));

    const zones = new Map<string, number>();
    for (let i = 0; i < 6; i++) {
      const p = await running(`spread-${i}`);
      const zone = `zone-${Number(p.spec!.nodeName!.split('-')[1]) % 3}`;
      zones.set(zone, (zones.get(zone) ?? 0) + 1);
      // The pod IP comes from the node's podCIDR.
      const node = await client.nodes().get(p.spec!.nodeName!);
      expect(p.status!.podIP!.split('.').slice(0, 3)).toEqual(
        node.spec!.podCIDR!.split('.').slice(0, 3),
      );
    }
    expect([...zones.values()]).toEqual([2, 2, 2]);
    const antiNodes = new Set<string>();
    for (let i = 0; i < 3; i++) antiNodes.add((await running(`anti-${i}`)).spec!.nodeName!);
    expect(antiNodes.size).toBe(3);
    expect((await running('gpu-ok')).spec!.nodeName).toBe('gpu-0');
    expect(await pendingBecause('gpu-untolerated', 'untolerated taint {dedicated: gpu}')).toMatch(
      /^0\/7 nodes are available: 1 node\(s\) had untolerated taint \{dedicated: gpu\}, 6 node\(s\) didn't match Pod's node affinity\/selector\./,
    );
  }, 120_000);

  it('binds a pod waiting for a node as soon as one is added, and describe said why it waited', async () => {
    await pods().create(pod('late', { nodeSelector: { pool: 'late' } }));
    await pendingBecause('late', "didn't match Pod's node affinity/selector");
    const described = await waitFor('describe showing FailedScheduling', async () => {
      const r = await cluster.kubectl(['describe', 'pod', 'late']);
      return r.stdout.includes('FailedScheduling') ? r.stdout : undefined;
    });
    expect(described).toMatch(/Warning\s+FailedScheduling.*0\/\d+ nodes are available/);
    const added = Date.now();
    await addFleet({ namePrefix: 'late', labels: { pool: 'late' } });
    expect((await running('late')).spec!.nodeName).toBe('late-0');
    // The queue's periodic flush is 5 minutes away: only the NodeAdd event can have moved it.
    console.log(`pending pod bound ${Date.now() - added} ms after its node was added`);
  }, 120_000);

  it('preempts a lower-priority pod for a higher-priority one', async () => {
    await client.forResource('priorityclasses', 'scheduling.k8s.io').create({
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'important' },
      value: 100_000,
    } as never);
    await addFleet({ namePrefix: 'small', cpu: '2', labels: { pool: 'small' } });
    await pods().create(pod('victim', { nodeSelector: { pool: 'small' } }, {}, '1500m'));
    await running('victim');
    await pods().create(
      pod('vip', { nodeSelector: { pool: 'small' }, priorityClassName: 'important' }, {}, '1500m'),
    );
    expect((await running('vip')).spec!.nodeName).toBe('small-0');
    await waitFor('victim gone', async () =>
      (await pods().list()).items.some((p) => p.metadata.name === 'victim') ? undefined : true,
    );
  }, 120_000);

  it('gives bad input the right Pending reason and keeps scheduling others', async () => {
    await pods().create(pod('other-scheduler', { schedulerName: 'no-such-scheduler' }));
    await pods().create(pod('impossible', { nodeSelector: { pool: 'zoned' } }, {}, '64'));
    const malformed = pod('malformed', {
      nodeSelector: { pool: 'zoned' },
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            {
              labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] },
              topologyKey: 'kubernetes.io/hostname',
            },
          ],
        },
      },
    });
    let malformedAccepted = true;
    await pods()
      .create(malformed)
      .catch((err: { code?: number }) => {
        // The API server may refuse it outright (422): also a right answer to bad input.
        expect(err.code).toBe(422);
        malformedAccepted = false;
      });
    await pods().create(pod('fine', { nodeSelector: { pool: 'zoned' } }));
    await running('fine');
    expect(await pendingBecause('impossible', 'Insufficient cpu')).toContain('6 Insufficient cpu');
    if (malformedAccepted)
      expect(await pendingBecause('malformed', 'nodes are available')).toBeTruthy();
    const other = await pods().get('other-scheduler');
    expect(other.spec?.nodeName).toBeUndefined();
    expect(other.status?.conditions ?? []).toEqual([]);
  }, 120_000);

  it('binds 2000 pods exactly once across a SIGKILL of the master holding the scheduler Lease', async () => {
    const BURST = 2000;
    await addFleet({
      namePrefix: 'burst',
      count: 50,
      pods: 110,
      cpu: '64',
      memory: '256Gi',
      labels: { pool: 'burst' },
    });
    const ns = pods();
    // Every binding as the watch sees it: a pod's node, once set, must never change.
    const boundTo = new Map<string, string>();
    const rebound: string[] = [];
    const start = await ns.list({ labelSelector: 'burst=1', limit: 1 });
    const watch = ns.watchResumable(
      { labelSelector: 'burst=1', resourceVersion: start.metadata.resourceVersion },
      (e) => {
        const node = e.object.spec?.nodeName;
        if (!node) return;
        const was = boundTo.get(e.object.metadata.uid!);
        if (was && was !== node) rebound.push(`${e.object.metadata.name}: ${was} -> ${node}`);
        boundTo.set(e.object.metadata.uid!, node);
      },
    );
    try {
      const holder = async () =>
        ((await client.leases('kube-system').get('kube-scheduler')) as Lease).spec
          ?.holderIdentity ?? '';
      const before = await waitFor('a scheduler leader', async () => (await holder()) || undefined);
      const victim = before.split('_')[0];
      expect(cluster.names).toContain(victim);

      let created = 0;
      // A create in flight on the killed master has an unknown outcome: try again; AlreadyExists
      // then means the first one landed.
      const createOnce = async (i: number) => {
        for (let attempt = 0; attempt < 10; attempt++) {
          try {
            await ns.create(
              pod(`burst-${i}`, { nodeSelector: { pool: 'burst' } }, { burst: '1' }, '10m'),
            );
            return;
          } catch (err) {
            if ((err as { code?: number }).code === 409) return;
            await new Promise((r) => setTimeout(r, 200));
          }
        }
        throw new Error(`could not create burst-${i}`);
      };
      const creating = (async () => {
        const queue = Array.from({ length: BURST }, (_, i) => i);
        await Promise.all(
          Array.from({ length: 32 }, async () => {
            for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
              await createOnce(i);
              created++;
            }
          }),
        );
      })();
      await waitFor(
        'a quarter bound',
        () => (boundTo.size >= BURST / 4 ? true : undefined),
        120_000,
        50,
      );
      const killedAt = Date.now();
      const boundAtKill = boundTo.size;
      cluster.kill(victim);
      const after = await waitFor(
        'a new scheduler leader',
        async () => {
          const h = await holder().catch(() => '');
          return h && h !== before ? h : undefined;
        },
        30_000,
        50,
      );
      const leaseTakeover = Date.now() - killedAt;
      await waitFor(
        'bindings resume',
        () => (boundTo.size > boundAtKill + 10 ? true : undefined),
        60_000,
        50,
      );
      const bindingsResumed = Date.now() - killedAt;
      await creating;
      await waitFor(
        `all ${BURST} bound`,
        () => (boundTo.size >= BURST ? true : undefined),
        180_000,
        200,
      );
      console.log(
        `scheduler failover: killed ${victim} after ${boundAtKill}/${created} bound; lease taken by ${after.split('_')[0]} ` +
          `${leaseTakeover} ms after the kill; bindings resumed after ${bindingsResumed} ms`,
      );
      expect(rebound).toEqual([]);
      const list = await ns.list({ labelSelector: 'burst=1' });
      expect(list.items).toHaveLength(BURST);
      expect(list.items.filter((p) => !p.spec?.nodeName)).toEqual([]);
      expect(new Set(list.items.map((p) => p.metadata.uid)).size).toBe(BURST);
    } finally {
      watch.stop();
    }
  }, 400_000);
});
