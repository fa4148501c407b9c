import { connect, type Deployment, type KubeClient, type Lease } from '@flotilla/client';
import { startFakeKubelet, type FakeKubelet } from './support/fake-kubelet';
import { MasterCluster } from './support/master-cluster';
import { waitFor } from './support/wait';

describe('kube-controller-manager in three real masters, driven by kubectl', () => {
  let cluster: MasterCluster;
  let client: KubeClient;
  let kubelet: FakeKubelet;

  beforeAll(async () => {
    cluster = await MasterCluster.start(3);
    await cluster.waitForApi();
    client = connect(
      cluster.names.map((n) => `http://127.0.0.1:${cluster.ports.get(n)!.api}`),
      { rateLimit: false },
    ).client;
    kubelet = startFakeKubelet(client, { namespace: 'default' });
  }, 120_000);

  afterAll(async () => {
    kubelet?.stop();
    client?.close();
    await cluster?.shutdown();
  });

  const kubectl = async (...args: string[]) => {
    const r = await cluster.kubectl(args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };

  const holder = async () =>
    (await client.leases('kube-system').get('kube-controller-manager')).spec?.holderIdentity ?? '';

  it('one master holds the kube-controller-manager Lease, as <master>_<random>', async () => {
    const identity = await waitFor(
      'a controller-manager leader',
      async () => (await holder().catch(() => '')) || undefined,
    );
    expect(identity).toMatch(/^m[123]_[0-9a-f-]{36}$/);
    const lease: Lease = await client.leases('kube-system').get('kube-controller-manager');
    expect(lease.spec?.leaseDurationSeconds).toBeGreaterThan(0);
  });

  it('gives every namespace its default ServiceAccount', async () => {
    await waitFor('default/default ServiceAccount', () =>
      client
        .forResource('serviceaccounts', '', 'default')
        .get('default')
        .catch(() => undefined),
    );
  });

  it('`kubectl create deployment web --replicas=5` reaches 5/5 available', async () => {
    await kubectl('create', 'deployment', 'web', '--image=nginx:1', '--replicas=5');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
    const d: Deployment = await client.deployments('default').get('web');
    expect(d.status).toMatchObject({ replicas: 5, readyReplicas: 5, availableReplicas: 5 });
    const rs = await client.replicaSets('default').list({ labelSelector: 'app=web' });
    expect(rs.items).toHaveLength(1);
    expect(rs.items[0].metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      name: 'web',
      controller: true,
    });
  }, 90_000);
});
