// The garbage collector with the Deployment and ReplicaSet controllers, against a real API server
// in process: `kubectl delete --cascade=background|foreground|orphan`, and dangling owners.
import type { ConfigMap } from '@flotilla/client';
import type { Pod } from '@flotilla/client';
import { deployment, pod } from '../../test/fixtures';
import { startHarness, waitFor, type Harness } from '../../test/harness';
import { DeploymentController } from '../deployment/deployment-controller';
import { ReplicaSetController } from '../replicaset/replicaset-controller';
import { GarbageCollector } from './garbage-collector';

describe('garbage collector', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.run([new DeploymentController(), new ReplicaSetController(), new GarbageCollector()]);
  });
  afterEach(async () => {
    await h.stop();
  });

  const count = async (app: string) => {
    const sets = (await h.client.replicaSets('default').list({ labelSelector: `app=${app}` }))
      .items;
    const pods = (await h.client.pods('default').list({ labelSelector: `app=${app}` })).items;
    const d = await h.client
      .deployments('default')
      .get(app)
      .catch(() => undefined);
    return { d, sets, pods };
  };

  const withPods = async (name: string, replicas: number) => {
    await h.client.deployments('default').create(deployment(name, replicas));
    return waitFor(`${name}'s pods`, async () => {
      const c = await count(name);
      return c.pods.length === replicas && c.sets.length === 1 ? c : undefined;
    });
  };

  it('background: the Deployment goes at once, then its ReplicaSet, then its pods', async () => {
    await withPods('bg', 3);
    await h.client.deployments('default').delete('bg', { propagationPolicy: 'Background' });
    expect((await count('bg')).d).toBeUndefined();
    await waitFor('everything gone', async () => {
      const c = await count('bg');
      return c.sets.length === 0 && c.pods.length === 0 ? true : undefined;
    });
  });

  it('foreground: the Deployment stays, marked, until its ReplicaSet and pods are gone', async () => {
    await withPods('fg', 3);
    const marked = await h.client
      .deployments('default')
      .delete('fg', { propagationPolicy: 'Foreground' });
    expect(marked?.metadata.finalizers).toContain('foregroundDeletion');
    expect(marked?.metadata.deletionTimestamp).toBeDefined();
    let sawOrderViolation = false;
    await waitFor(
      'everything gone',
      async () => {
        const c = await count('fg');
        if (!c.d && (c.sets.length > 0 || c.pods.length > 0)) sawOrderViolation = true;
        return !c.d && c.sets.length === 0 && c.pods.length === 0 ? true : undefined;
      },
      15_000,
      5,
    );
    expect(sawOrderViolation).toBe(false);
  });

  it('orphan: the Deployment goes; its ReplicaSet stays, no longer owned, with its pods', async () => {
    await withPods('or', 2);
    await h.client.deployments('default').delete('or', { propagationPolicy: 'Orphan' });
    const after = await waitFor('the Deployment gone', async () => {
      const c = await count('or');
      return !c.d ? c : undefined;
    });
    expect(after.sets).toHaveLength(1);
    expect(after.sets[0].metadata.ownerReferences ?? []).toEqual([]);
    expect(after.pods).toHaveLength(2);
    // The pods are still the ReplicaSet's.
    for (const p of after.pods)
      expect(p.metadata.ownerReferences?.[0]?.uid).toBe(after.sets[0].metadata.uid);
  });

  it('deletes an object whose owner does not exist', async () => {
    const body: Pod = pod('dangling', { app: 'none' });
    body.metadata.ownerReferences = [
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'ghost',
        uid: '00000000-0000-0000-0000-000000000001',
      },
    ];
    await h.client.pods('default').create(body);
    await waitFor('the pod collected', async () =>
      (await h.client
        .pods('default')
        .get('dangling')
        .catch(() => undefined))
        ? undefined
        : true,
    );
  });

  it('keeps an object with a live owner, dropping only the reference to a missing one', async () => {
    const owner = await h.client
      .configMaps('default')
      .create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner' } });
    const dep: ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'dep',
        ownerReferences: [
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid! },
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            name: 'gone',
            uid: '00000000-0000-0000-0000-000000000002',
          },
        ],
      },
    };
    await h.client.configMaps('default').create(dep);
    const kept = await waitFor('the dangling reference dropped', async () => {
      const cur = await h.client.configMaps('default').get('dep');
      return cur.metadata.ownerReferences?.length === 1 ? cur : undefined;
    });
    expect(kept.metadata.ownerReferences?.[0].name).toBe('owner');
    // Deleting the owner then collects the dependent.
    await h.client.configMaps('default').delete('owner');
    await waitFor('the dependent collected', async () =>
      (await h.client
        .configMaps('default')
        .get('dep')
        .catch(() => undefined))
        ? undefined
        : true,
    );
  });
});
