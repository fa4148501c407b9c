// PodDisruptionBudgets end to end in process: the disruption controller keeps the budget's status,
// pods/eviction spends it (429 with Kubernetes' message when it would be violated), and a drain
// blocked by the budget goes ahead once another replica is Ready.
import type { KubeClient, Pod } from '@flotilla/client';
import { markReady, podsOf, replicaSet } from '../../test/fixtures';
import { startHarness, waitFor, type Harness } from '../../test/harness';
import { ReplicaSetController } from '../replicaset';
import { DisruptionController } from './disruption-controller';

type Budget = { status?: Record<string, unknown> };

async function evict(client: KubeClient, pod: string, body?: unknown) {
  const res = await client.send({
    method: 'POST',
    path: `/api/v1/namespaces/default/pods/${pod}/eviction`,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(
      JSON.stringify(
        body ?? {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: pod, namespace: 'default' },
        },
      ),
    ),
    idempotent: false,
  });
  return { status: res.status, body: JSON.parse(res.body.toString()) as Record<string, unknown> };
}

describe('PodDisruptionBudget and pods/eviction', () => {
  let h: Harness;
  let client: KubeClient;
  beforeEach(async () => {
    h = await startHarness();
    client = h.api.newClient({ maxRetries429: 0 });
  });
  afterEach(async () => {
    await h.stop();
  });

  const pdbs = () =>
    h.client.forKind<Budget & import('@flotilla/api').KubeObject>(
      'policy/v1',
      'PodDisruptionBudget',
      'default',
    );
  const budget = async () => (await pdbs().get('web')).status ?? {};
  const readyAll = async (): Promise<Pod[]> => {
    const pods = await podsOf(h.client, 'app=web');
    for (const p of pods)
      if (!p.status?.conditions?.some((c) => c.type === 'Ready')) await markReady(h.client, p);
    return pods;
  };

  it('refuses an eviction that would violate the budget, then allows it once another replica is Ready', async () => {
    h.run([new ReplicaSetController(), new DisruptionController()]);
    await h.client.replicaSets('default').create(replicaSet('web', 2));
    await pdbs().create({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web', namespace: 'default' },
      spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } },
    });
    await waitFor('2 ready pods', async () => ((await readyAll()).length === 2 ? true : undefined));
    await waitFor('the budget computed', async () => {
      const s = await budget();
      return s.currentHealthy === 2 && s.observedGeneration === 1 ? s : undefined;
    });
    expect(await budget()).toMatchObject({
      desiredHealthy: 2,
      expectedPods: 2,
      disruptionsAllowed: 0,
    });

    const [victim] = await podsOf(h.client, 'app=web');
    const refused = await evict(client, victim.metadata.name!);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({
      reason: 'TooManyRequests',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: {
        causes: [
          {
            reason: 'DisruptionBudget',
            message: 'The disruption budget web needs 2 healthy pods and has 2 currently',
          },
        ],
      },
    });

    // Another replica comes up and becomes Ready: one disruption is allowed.
    await h.client.replicaSets('default').patch('web', { spec: { replicas: 3 } }, 'merge');
    await waitFor('3 ready pods', async () => ((await readyAll()).length === 3 ? true : undefined));
    await waitFor('one disruption allowed', async () =>
      (await budget()).disruptionsAllowed === 1 ? true : undefined,
    );
    const allowed = await evict(client, victim.metadata.name!);
    expect(allowed.status).toBe(201);
    expect(allowed.body).toMatchObject({ kind: 'Status', status: 'Success' });
    await waitFor('the pod deleted', async () =>
      (await podsOf(h.client, 'app=web')).some((p) => p.metadata.uid === victim.metadata.uid)
        ? undefined
        : true,
    );
    // The disruption is spent: the next eviction waits for the replacement to be Ready.
    const [next] = (await podsOf(h.client, 'app=web')).filter((p) =>
      p.status?.conditions?.some((c) => c.type === 'Ready'),
    );
    expect((await evict(client, next.metadata.name!)).status).toBe(429);
  });

  it('answers a budget with both minAvailable and maxUnavailable with a 422 on spec', async () => {
    await expect(
      pdbs().create({
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'both', namespace: 'default' },
        spec: { minAvailable: 1, maxUnavailable: 1, selector: { matchLabels: { app: 'x' } } },
      }),
    ).rejects.toMatchObject({
      code: 422,
      status: {
        details: {
          causes: [
            expect.objectContaining({
              field: 'spec',
              message: expect.stringContaining(
                'minAvailable and maxUnavailable cannot be both set',
              ),
            }),
          ],
        },
      },
    });
  });

  it('evicts pods no budget covers, and lists pods/eviction in discovery as policy/v1 Eviction', async () => {
    await h.client.pods('default').create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'free', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
    });
    expect((await evict(client, 'free')).status).toBe(201);
    const core = await h.client.getJson<{
      resources: { name: string; group?: string; version?: string; kind: string }[];
    }>('/api/v1');
    expect(core.resources.find((r) => r.name === 'pods/eviction')).toMatchObject({
      group: 'policy',
      version: 'v1',
      kind: 'Eviction',
    });
  });
});
