// Part B's controllers in three real masters: a fleet of stand-in nodes (Node objects, their
// Leases renewed by this test as kubelets would) with pods bound to them and a Service over the
// pods. One node going silent becomes Unknown, is tainted unreachable, its pod is marked not
// ready (the Service's EndpointSlice follows) and evicted after its tolerationSeconds; every node
// going silent at once evicts nothing (master disruption mode). Nodes get pod ranges; a deleted
// namespace is emptied and goes. Short grace periods come from the masters' command line.
import { isApiError } from '@flotilla/api';
import {
  connect,
  formatMicroTime,
  type EndpointSlice,
  type KubeClient,
  type Node,
  type Pod,
} from '@flotilla/client';
import { MasterCluster } from './support/master-cluster';
import { waitFor } from './support/wait';

const NODES = ['n1', 'n2', 'n3', 'n4'];
const LEASES = 'kube-node-lease';
const UNREACHABLE = 'node.kubernetes.io/unreachable';
const NOT_READY = 'node.kubernetes.io/not-ready';
const seconds = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('node lifecycle, IPAM, EndpointSlices and namespaces in three real masters', () => {
  let cluster: MasterCluster;
  let client: KubeClient;
  let alive = new Set(NODES);
  let beat: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    cluster = await MasterCluster.start(3, [
      '--node-monitor-grace-period=4s',
      '--node-monitor-period=500ms',
      '--node-eviction-rate=10',
    ]);
    await cluster.waitForApi();
    client = connect(
      cluster.names.map((n) => `http://127.0.0.1:${cluster.ports.get(n)!.api}`),
      { rateLimit: false },
    ).client;
  }, 120_000);

  afterAll(async () => {
    if (beat) clearInterval(beat);
    client?.close();
    await cluster?.shutdown();
  });

  const heartbeat = async () => {
    const renewTime = formatMicroTime(Date.now());
    await Promise.all(
      [...alive].map((n) =>
        client
          .leases(LEASES)
          .patch(n, { spec: { renewTime } }, 'merge')
          .catch(() => undefined),
      ),
    );
  };
  const readyOf = (o: Node | Pod) =>
    (o.status?.conditions as { type: string; status: string }[] | undefined)?.find(
      (c) => c.type === 'Ready',
    )?.status;
  const taintsOf = (n: Node) => (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();
  const pod = (name: string) =>
    client
      .pods('default')
      .get(name)
      .catch((err: unknown) => {
        if (isApiError(err) && err.status.code === 404) return undefined;
        throw err;
      });
  const endpointOf = async (name: string) => {
    const slices = await client
      .endpointSlices('default')
      .list({ labelSelector: 'kubernetes.io/service-name=web' });
    return (slices.items as EndpointSlice[])
      .flatMap((s) => s.endpoints ?? [])
      .find((e) => e.targetRef?.name === name);
  };

  it('registers a fleet with pods behind a Service; every node gets its own pod range', async () => {
    for (const [i, name] of NODES.entries()) {
      await client
        .nodes()
        .create({ metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
      await client.nodes().patchStatus(
        name,
        {
          status: {
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'KubeletReady',
                lastHeartbeatTime: seconds(),
              },
            ],
          },
        },
        'merge',
      );
      await client.leases(LEASES).create({
        metadata: { name, namespace: LEASES },
        spec: {
          holderIdentity: name,
          leaseDurationSeconds: 40,
          renewTime: formatMicroTime(Date.now()),
        },
      });
      // n1's pod tolerates a lost node for 2 s, the others for 10 s.
      const tolerationSeconds = name === 'n1' ? 2 : 10;
      const created = await client.pods('default').create({
        metadata: { name: `p-${name}`, labels: { app: 'web' } },
        spec: {
          nodeName: name,
          containers: [
            { name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] },
          ],
          tolerations: [UNREACHABLE, NOT_READY].map((key) => ({
            key,
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds,
          })),
        },
      });
      await client.pods('default').updateStatus({
        ...created,
        status: {
          phase: 'Running',
          podIP: `10.244.${i}.10`,
          podIPs: [{ ip: `10.244.${i}.10` }],
          conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: seconds() }],
        },
      });
    }
    beat = setInterval(() => void heartbeat(), 1000);
    await client.services('default').create({
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    await waitFor('four ready endpoints', async () => {
      const eps = await Promise.all(NODES.map((n) => endpointOf(`p-${n}`)));
      return eps.every((e) => e?.conditions?.ready === true) ? eps : undefined;
    });
    const ranges = await waitFor('pod ranges for every node', async () => {
      const nodes = (await client.nodes().list()).items.filter((n) =>
        NODES.includes(n.metadata.name!),
      );
      const r = nodes.map((n) => n.spec?.podCIDR);
      return r.every(Boolean) ? r : undefined;
    });
    expect(new Set(ranges).size).toBe(4);
    for (const r of ranges) expect(r).toMatch(/^10\.244\.\d+\.0\/24$/);
  }, 60_000);

  it('a silent node becomes Unknown and unreachable, its pod not ready, then evicted', async () => {
    alive = new Set(['n2', 'n3', 'n4']);
    const n1 = await waitFor(
      'n1 Unknown and tainted',
      async () => {
        const n = await client.nodes().get('n1');
        return readyOf(n) === 'Unknown' &&
          taintsOf(n).includes(`${UNREACHABLE}:NoExecute`) &&
          taintsOf(n).includes(`${UNREACHABLE}:NoSchedule`)
          ? n
          : undefined;
      },
      30_000,
    );
    expect(taintsOf(n1)).toEqual([`${UNREACHABLE}:NoExecute`, `${UNREACHABLE}:NoSchedule`]);
    // The Service stops sending to it: the pod is not ready, and so is its endpoint.
    await waitFor('p-n1 not ready in the EndpointSlice', async () =>
      (await endpointOf('p-n1'))?.conditions?.ready === false ? true : undefined,
    );
    // Evicted after its 2 s: deleted (terminating; no kubelet will finish it).
    await waitFor(
      'p-n1 evicted',
      async () => {
        const p = await pod('p-n1');
        return !p || p.metadata.deletionTimestamp ? true : undefined;
      },
      30_000,
    );
    for (const n of ['n2', 'n3', 'n4']) {
      const p = await pod(`p-${n}`);
      expect(p?.metadata.deletionTimestamp).toBeUndefined();
      expect((await endpointOf(`p-${n}`))?.conditions?.ready).toBe(true);
    }
  }, 60_000);

  it('every node silent at once: no mass eviction', async () => {
    alive = new Set();
    await waitFor(
      'every node Unknown',
      async () => {
        const nodes = await Promise.all(NODES.map((n) => client.nodes().get(n)));
        return nodes.every((n) => readyOf(n) === 'Unknown') ? true : undefined;
      },
      30_000,
    );
    // Longer than the pods' 10 s toleration: none of them is evicted, and no node keeps a
    // NoExecute taint (master disruption mode removes them).
    await new Promise((r) => setTimeout(r, 13_000));
    for (const n of ['n2', 'n3', 'n4']) {
      const p = await pod(`p-${n}`);
      expect(p?.metadata.deletionTimestamp).toBeUndefined();
    }
    const nodes = await Promise.all(NODES.map((n) => client.nodes().get(n)));
    for (const n of nodes) {
      expect(taintsOf(n).filter((t) => t.endsWith(':NoExecute'))).toEqual([]);
    }
  }, 60_000);

  it('a deleted namespace is emptied and goes', async () => {
    await client.namespaces().create({ metadata: { name: 'scratch' } });
    await client.configMaps('scratch').create({ metadata: { name: 'c' }, data: { a: 'b' } });
    await client.services('scratch').create({
      metadata: { name: 's' },
      spec: { selector: { app: 's' }, ports: [{ port: 80 }] },
    });
    await client.namespaces().delete('scratch');
    await waitFor(
      'namespace scratch gone',
      async () => {
        try {
          await client.namespaces().get('scratch');
          return undefined;
        } catch (err) {
          return isApiError(err) && err.status.code === 404 ? true : undefined;
        }
      },
      30_000,
    );
  }, 40_000);

  it('gives no pod range twice after the controller-manager leader is killed', async () => {
    const holder = async () =>
      (await client.leases('kube-system').get('kube-controller-manager')).spec?.holderIdentity ??
      '';
    const first = await holder();
    const leader = first.split('_')[0];
    expect(cluster.names).toContain(leader);
    cluster.kill(leader);
    // Nodes join while the Lease changes hands.
    for (const name of ['n5', 'n6']) await client.nodes().create({ metadata: { name } });
    await waitFor(
      'a new controller-manager leader',
      async () => {
        const h = await holder().catch(() => '');
        return h && !h.startsWith(`${leader}_`) ? h : undefined;
      },
      60_000,
    );
    const ranges = await waitFor(
      'pod ranges for all six nodes',
      async () => {
        const nodes = (await client.nodes().list()).items;
        const r = nodes.map((n) => n.spec?.podCIDR);
        return nodes.length === 6 && r.every(Boolean) ? r : undefined;
      },
      60_000,
    );
    expect(new Set(ranges).size).toBe(6);
  }, 90_000);
});
