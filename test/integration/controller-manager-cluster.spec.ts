import { connect, type Deployment, type KubeClient, type Pod } from '@flotilla/client';
import { startFakeKubelet, type FakeKubelet } from './support/fake-kubelet';
import { MasterCluster } from './support/master-cluster';
import { startPodCensus } from './support/pod-census';
import { waitFor } from './support/wait';

/**
 * kube-controller-manager as it runs in three real masters, driven by the real kubectl. No
 * kubelet runs: a stand-in marks pods Running and Ready through the status subresource.
 */
describe('kube-controller-manager in three real masters, driven by kubectl', () => {
  let cluster: MasterCluster;
  let client: KubeClient;
  let kubelet: FakeKubelet;
  /** Pods the stand-in kubelet leaves unready for now (`app=name:image`). */
  const held = new Set<string>();
  /** The master kubectl talks to (moves off a killed one). */
  let context = 'flotilla-m1';

  beforeAll(async () => {
    cluster = await MasterCluster.start(3);
    await cluster.waitForApi();
    client = connect(
      cluster.names.map((n) => `http://127.0.0.1:${cluster.ports.get(n)!.api}`),
      { rateLimit: false },
    ).client;
    kubelet = startFakeKubelet(client, {
      namespace: 'default',
      accept: (p) => !held.has(`${p.metadata.labels?.app}:${p.spec?.containers[0].image}`),
    });
  }, 120_000);

  afterAll(async () => {
    kubelet?.stop();
    client?.close();
    await cluster?.shutdown();
  });

  const run = (args: string[], input?: string) => cluster.kubectl(args, { context, input });
  const kubectl = async (...args: string[]) => {
    const r = await run(args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  const holder = async () =>
    (await client.leases('kube-system').get('kube-controller-manager')).spec?.holderIdentity ?? '';
  const deployment = (name: string): Promise<Deployment> => client.deployments('default').get(name);
  const podsOf = async (selector: string): Promise<Pod[]> =>
    (await client.pods('default').list({ labelSelector: selector })).items;

  it('one master holds the kube-controller-manager Lease, as <master>_<random>', async () => {
    const identity = await waitFor(
      'a controller-manager leader',
      async () => (await holder().catch(() => '')) || undefined,
    );
    expect(identity).toMatch(/^m[123]_[0-9a-f-]{36}$/);
  });

  it('gives every namespace its default ServiceAccount', async () => {
    await kubectl('create', 'namespace', 'team');
    await waitFor('team/default ServiceAccount', () =>
      client
        .forResource('serviceaccounts', '', 'team')
        .get('default')
        .catch(() => undefined),
    );
  });

  it('`kubectl create deployment web --replicas=5` reaches 5/5 available', async () => {
    await kubectl('create', 'deployment', 'web', '--image=nginx:1', '--replicas=5');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
    const d = await deployment('web');
    expect(d.status).toMatchObject({ replicas: 5, readyReplicas: 5, availableReplicas: 5 });
    const rs = await client.replicaSets('default').list({ labelSelector: 'app=web' });
    expect(rs.items).toHaveLength(1);
    expect(rs.items[0].metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      name: 'web',
      controller: true,
    });
    expect(rs.items[0].metadata.labels?.['pod-template-hash']).toBeTruthy();
  }, 90_000);

  it("the controllers' events (recorded as events.k8s.io/v1) show in kubectl describe and get events", async () => {
    const described = await waitFor('the scaling event in describe', async () => {
      const out = await kubectl('describe', 'deployment', 'web');
      return /ScalingReplicaSet\s+.*deployment-controller\s+Scaled up replica set web-/.test(out)
        ? out
        : undefined;
    });
    expect(described).toContain('Events:');
    const events = await kubectl(
      'get',
      'events',
      '--field-selector',
      'involvedObject.kind=ReplicaSet',
    );
    expect(events).toContain('SuccessfulCreate');
  });

  it('`kubectl set image` rolls out within maxUnavailable and maxSurge at every observed moment', async () => {
    const census = startPodCensus(client, 'default', 'app=web');
    try {
      await census.synced();
      census.reset();
      await kubectl('set', 'image', 'deployment/web', 'nginx=nginx:2');
      await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
      // 5 replicas, maxSurge 25% → 2 (rounded up), maxUnavailable 25% → 1 (rounded down).
      expect(census.minReady).toBeGreaterThanOrEqual(4);
      expect(census.maxPods).toBeLessThanOrEqual(7);
    } finally {
      census.stop();
    }
    const pods = await podsOf('app=web');
    expect(pods).toHaveLength(5);
    expect(pods.every((p) => p.spec?.containers[0].image === 'nginx:2')).toBe(true);
    const d = await deployment('web');
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(d.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'NewReplicaSetAvailable',
    });
  }, 90_000);

  it('`kubectl rollout undo`, `rollout history` and `scale`', async () => {
    await kubectl('rollout', 'undo', 'deployment/web');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
    const pods = await podsOf('app=web');
    expect(pods.every((p) => p.spec?.containers[0].image === 'nginx:1')).toBe(true);
    const history = await kubectl('rollout', 'history', 'deployment/web');
    expect(
      history
        .split('\n')
        .filter((l) => /^\d+\s/.test(l))
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['2', '3']);
    await kubectl('scale', 'deployment/web', '--replicas=8');
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');
    expect((await deployment('web')).status?.availableReplicas).toBe(8);
    expect(await podsOf('app=web')).toHaveLength(8);
    await kubectl('scale', 'deployment/web', '--replicas=3');
    await waitFor('3 pods', async () =>
      (await podsOf('app=web')).length === 3 ? true : undefined,
    );
  }, 90_000);

  describe('kubectl delete --cascade', () => {
    const replicaSet = (name: string) =>
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
          },
        },
      });
    const create = async (name: string) => {
      const r = await run(['apply', '-f', '-'], replicaSet(name));
      expect(r.code).toBe(0);
      await waitFor(`${name}'s 2 pods`, async () =>
        (await podsOf(`app=${name}`)).length === 2 ? true : undefined,
      );
    };

    it('orphan leaves the pods, without their owner reference', async () => {
      await create('orph');
      await kubectl('delete', 'rs', 'orph', '--cascade=orphan');
      await expect(client.replicaSets('default').get('orph')).rejects.toMatchObject({ code: 404 });
      const pods = await podsOf('app=orph');
      expect(pods).toHaveLength(2);
      expect(pods.every((p) => !p.metadata.ownerReferences?.length)).toBe(true);
    });

    it('background deletes the owner at once and its pods after', async () => {
      await create('bg');
      await kubectl('delete', 'rs', 'bg', '--cascade=background');
      await waitFor('bg pods gone', async () =>
        (await podsOf('app=bg')).length === 0 ? true : undefined,
      );
    });

    it('foreground removes the pods before the owner', async () => {
      await create('fg');
      // kubectl waits for the ReplicaSet to go, which foreground deletion allows only once its
      // pods are gone.
      await kubectl('delete', 'rs', 'fg', '--cascade=foreground', '--timeout=30s');
      expect(await podsOf('app=fg')).toHaveLength(0);
    });
  });

  describe('bad input', () => {
    const apply = (obj: object) => run(['apply', '-f', '-'], JSON.stringify(obj));
    const web = (spec: object) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'bad' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'bad' } },
        template: {
          metadata: { labels: { app: 'bad' } },
          spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
        },
        ...spec,
      },
    });

    it('a selector that does not match the template is refused (422)', async () => {
      const r = await apply(
        web({
          template: {
            metadata: { labels: { app: 'other' } },
            spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
          },
        }),
      );
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('is invalid');
      expect(r.stderr).toContain('selector` does not match template `labels`');
    });

    it('an invalid maxSurge is refused (422)', async () => {
      const r = await apply(
        web({
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } },
        }),
      );
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('is invalid');
      expect(r.stderr).toContain('may not be 0 when `maxSurge` is 0');
    });

    it('an object owned by an owner that does not exist is collected', async () => {
      await client.configMaps('default').create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'dangling',
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: 'never-was',
              uid: '00000000-0000-0000-0000-000000000001',
            },
          ],
        },
      });
      await waitFor(
        'the dangling ConfigMap collected',
        () =>
          client
            .configMaps('default')
            .get('dangling')
            .then(
              () => undefined,
              (e: { code?: number }) => (e.code === 404 ? true : undefined),
            ),
        30_000,
      );
    });
  });

  it('failover: SIGKILL of the Lease holder mid-rollout of 20 replicas; another master takes over and the rollout completes within maxSurge', async () => {
    await kubectl('create', 'deployment', 'big', '--image=nginx:1', '--replicas=20');
    await kubectl('rollout', 'status', 'deployment/big', '--timeout=60s');
    const census = startPodCensus(client, 'default', 'app=big');
    try {
      await census.synced();
      census.reset();
      const before = await holder();
      const victim = before.split('_')[0];
      context = `flotilla-${cluster.names.find((n) => n !== victim)}`;
      // The new pods stay unready until the kill, so the rollout is surely under way then.
      held.add('big:nginx:2');
      await kubectl('set', 'image', 'deployment/big', 'nginx=nginx:2');
      const surged = await waitFor('the rollout under way', async () => {
        const fresh = (await podsOf('app=big')).filter(
          (p) => p.spec?.containers[0].image === 'nginx:2',
        );
        return fresh.length > 0 ? fresh.length : undefined;
      });
      expect(surged).toBeLessThan(20);
      const killedAt = Date.now();
      cluster.kill(victim);
      held.delete('big:nginx:2');
      kubelet.recheck();
      const after = await waitFor(
        'another master holding the Lease',
        async () => {
          const h = await holder().catch(() => '');
          return h && h !== before ? h : undefined;
        },
        30_000,
        50,
      );
      const takeoverMs = Date.now() - killedAt;
      process.stdout.write(
        `controller-manager failover: ${before.split('_')[0]} killed, ${after.split('_')[0]} holds the Lease after ${takeoverMs} ms\n`,
      );
      expect(after.split('_')[0]).not.toBe(victim);
      await kubectl('rollout', 'status', 'deployment/big', '--timeout=90s');
      // 20 replicas, maxSurge 25% → 5.
      expect(census.maxPods).toBeLessThanOrEqual(25);
      expect(census.minReady).toBeGreaterThanOrEqual(15);
    } finally {
      census.stop();
    }
    const pods = await podsOf('app=big');
    expect(pods).toHaveLength(20);
    expect(pods.every((p) => p.spec?.containers[0].image === 'nginx:2')).toBe(true);
  }, 150_000);
});
