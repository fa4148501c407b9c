// The master's own components in the secure mode: the controller manager and the scheduler reach
// their API server in process as system:kube-controller-manager and system:kube-scheduler, and
// RBAC (the default ClusterRoles and bindings) lets them do their work: a Deployment's pods are
// created, scheduled onto a hollow node and run. The hollow node's kubelet has its own identity
// (system:node:secure-0, a certificate from the cluster CA) for its Node, Lease and pod status.
import { connectFromKubeconfig, type KubeClient, type Pod } from '@flotilla/client';
import { HollowFleet } from '../../apps/flotilla/src/hollow-nodes/hollow-fleet';
import { hollowNodeClients } from '../../apps/flotilla/src/hollow-nodes/hollow-identities';
import { MasterCluster } from './support/master-cluster';
import { waitFor } from './support/wait';

describe('controller manager and scheduler on secure masters', () => {
  let cluster: MasterCluster;
  let client: KubeClient;
  let fleet: HollowFleet | undefined;
  let nodeClients: Map<string, KubeClient>;

  beforeAll(async () => {
    cluster = await MasterCluster.start(3, [], undefined, [], { secure: true });
    await cluster.waitForApi();
    const connected = connectFromKubeconfig({
      kubeconfig: cluster.kubeconfig,
      component: 'secure-workloads-test',
      rateLimit: false,
    });
    client = connected.client;
    nodeClients = await hollowNodeClients(cluster.pkiDir!, ['secure-0'], connected.contexts);
    fleet = new HollowFleet(
      client,
      {
        count: 1,
        namePrefix: 'secure',
        cpu: '4',
        memory: '8Gi',
        pods: 110,
        labels: {},
        taints: [],
        zones: 0,
        kubeconfig: '',
        leaseRenewMs: 10_000,
        concurrency: 8,
      },
      undefined,
      undefined,
      nodeClients,
    );
    await fleet.start();
  }, 180_000);

  afterAll(async () => {
    await fleet?.stop().catch(() => undefined);
    client?.close();
    await cluster?.shutdown();
  }, 120_000);

  it('runs a Deployment: the controllers make its pods and the scheduler binds them to the hollow node', async () => {
    await cluster.kubectl(['create', 'deployment', 'web', '--image=nginx:1', '--replicas=2']);
    const pods = await waitFor(
      'two web pods running on the hollow node',
      async () => {
        const list = await client.pods('default').list({ labelSelector: 'app=web' });
        const running = list.items.filter(
          (p: Pod) => p.status?.phase === 'Running' && p.spec?.nodeName?.startsWith('secure'),
        );
        return running.length === 2 ? running : undefined;
      },
      90_000,
    );
    expect(pods.map((p) => p.spec?.nodeName)).toEqual([
      pods[0].spec!.nodeName,
      pods[0].spec!.nodeName,
    ]);
    const d = await waitFor('the deployment available', async () => {
      const got = await client.deployments('default').get('web');
      return got.status?.availableReplicas === 2 ? got : undefined;
    });
    expect(d.status).toMatchObject({ replicas: 2, readyReplicas: 2 });
  }, 120_000);

  it("holds the hollow node's own identity to what its pods use (Node authorizer)", async () => {
    const own = nodeClients.get('secure-0')!;
    await client.forResource('secrets', '', 'default').create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'not-for-nodes' },
      stringData: { k: 'v' },
    });
    const err = await own
      .forResource('secrets', '', 'default')
      .get('not-for-nodes')
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(err?.message).toContain(
      `User "system:node:secure-0" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'secure-0' and this object`,
    );
    // Its own Lease, renewed with its own certificate.
    expect((await own.leases('kube-node-lease').get('secure-0')).spec?.holderIdentity).toBe(
      'secure-0',
    );
  });

  it('keeps the components to their roles: the scheduler may bind pods but not create secrets', async () => {
    // A SubjectAccessReview answers for another user from the same RBAC the server enforces.
    const can = async (user: string, verb: string, resource: string, subresource = '') => {
      const review = {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user,
          groups: ['system:authenticated'],
          resourceAttributes: { namespace: 'default', verb, resource, subresource },
        },
      };
      const r = await cluster.kubectl(['create', '-f', '-', '-o', 'json'], {
        input: JSON.stringify(review),
      });
      expect(r.stderr).toBe('');
      return (JSON.parse(r.stdout) as { status: { allowed: boolean } }).status.allowed;
    };
    expect(await can('system:kube-scheduler', 'create', 'pods', 'binding')).toBe(true);
    expect(await can('system:kube-scheduler', 'update', 'pods', 'status')).toBe(true);
    expect(await can('system:kube-scheduler', 'create', 'secrets')).toBe(false);
    expect(await can('system:kube-controller-manager', 'create', 'pods')).toBe(true);
  });
});
