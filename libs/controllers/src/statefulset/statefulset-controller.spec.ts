// The StatefulSet controller against a real API server in process: pods created in order, each
// waiting for its predecessor to be Ready, with stable names, hostnames and claims; scaled down
// from the highest ordinal; a rolling update that stops at the partition.
import type { KubeObject } from '@flotilla/api';
import type { Pod } from '@flotilla/client';
import { fakeKubelet, markReady } from '../../test/fixtures';
import { sleep, startHarness, waitFor, type Harness } from '../../test/harness';
import { REVISION_LABEL, type StatefulSetObject } from './stateful-pods';
import { StatefulSetController } from './statefulset-controller';

function statefulSet(
  name: string,
  replicas: number,
  extra: Record<string, unknown> = {},
): StatefulSetObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'db:1' }] },
      },
      ...extra,
    },
  };
}

describe('StatefulSet controller', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  const sets = () => h.client.forKind<StatefulSetObject>('apps/v1', 'StatefulSet', 'default');
  const podsOf = async (app: string): Promise<Pod[]> =>
    (await h.client.pods('default').list({ labelSelector: `app=${app}` })).items
      .filter((p) => !p.metadata.deletionTimestamp)
      .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  const names = async (app: string) => (await podsOf(app)).map((p) => p.metadata.name);

  it('creates pods in order, each after its predecessor is Ready, with stable identities and claims', async () => {
    h.run([new StatefulSetController()]);
    await sets().create(
      statefulSet('db', 3, {
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
          },
        ],
      }),
    );
    await waitFor('db-0', async () =>
      JSON.stringify(await names('db')) === '["db-0"]' ? true : undefined,
    );
    await sleep(200);
    expect(await names('db')).toEqual(['db-0']); // db-1 waits for db-0 to be Ready
    const [db0] = await podsOf('db');
    expect(db0.spec?.hostname).toBe('db-0');
    expect(db0.spec?.subdomain).toBe('db');
    expect(db0.spec?.volumes).toContainEqual({
      name: 'data',
      persistentVolumeClaim: { claimName: 'data-db-0' },
    });
    expect(db0.metadata.labels).toMatchObject({
      'statefulset.kubernetes.io/pod-name': 'db-0',
      'apps.kubernetes.io/pod-index': '0',
    });
    await markReady(h.client, db0);
    await waitFor('db-1', async () =>
      JSON.stringify(await names('db')) === '["db-0","db-1"]' ? true : undefined,
    );
    await markReady(h.client, (await podsOf('db'))[1]);
    await waitFor('db-2', async () => ((await names('db')).length === 3 ? true : undefined));
    const claims = (await h.client.forKind('v1', 'PersistentVolumeClaim', 'default').list()).items;
    expect(claims.map((c) => c.metadata.name).sort()).toEqual([
      'data-db-0',
      'data-db-1',
      'data-db-2',
    ]);
    await markReady(h.client, (await podsOf('db'))[2]);
    await waitFor('status ready 3', async () =>
      (await sets().get('db')).status?.readyReplicas === 3 ? true : undefined,
    );

    // Scale down: the highest ordinal goes first, one at a time.
    await sets().patch('db', { spec: { replicas: 1 } }, 'merge');
    await waitFor('db-2 gone first', async () =>
      JSON.stringify(await names('db')) === '["db-0","db-1"]' ? true : undefined,
    );
    await waitFor('then db-1', async () =>
      JSON.stringify(await names('db')) === '["db-0"]' ? true : undefined,
    );
  });

  it('rolls a new template from the highest ordinal down to the partition', async () => {
    const stop = fakeKubelet(h.client);
    h.run([new StatefulSetController()]);
    try {
      await sets().create(statefulSet('web', 3));
      const first = await waitFor('3 ready', async () => {
        const cur = await sets().get('web');
        return cur.status?.readyReplicas === 3 ? cur : undefined;
      });
      const oldRevision = first.status?.updateRevision;
      await sets().patch(
        'web',
        {
          spec: {
            updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } },
            template: { spec: { containers: [{ name: 'c', image: 'db:2' }] } },
          },
        },
        'strategic',
      );
      const done = await waitFor(
        'web-1 and web-2 updated, web-0 left at the partition',
        async () => {
          const pods = await podsOf('web');
          const images = pods.map((p) => p.spec?.containers[0].image);
          const cur = await sets().get('web');
          return JSON.stringify(images) === '["db:1","db:2","db:2"]' &&
            cur.status?.updatedReplicas === 2 &&
            cur.status?.readyReplicas === 3
            ? cur
            : undefined;
        },
        30_000,
      );
      expect(done.status?.currentRevision).toBe(oldRevision);
      expect(done.status?.updateRevision).not.toBe(oldRevision);
      expect((await podsOf('web'))[0].metadata.labels?.[REVISION_LABEL]).toBe(oldRevision);
    } finally {
      await stop();
    }
  });

  it('adopts an orphan member pod, leaves a non-member alone, releases a pod that stops matching', async () => {
    // db-0 left behind by a StatefulSet deleted with --cascade=orphan; stray matches but is no member.
    const orphan = await h.client.pods('default').create({
      metadata: { name: 'db-0', labels: { app: 'db' } },
      spec: { containers: [{ name: 'c', image: 'db:1' }] },
    });
    await h.client.pods('default').create({
      metadata: { name: 'stray', labels: { app: 'db' } },
      spec: { containers: [{ name: 'c', image: 'db:1' }] },
    });
    await markReady(h.client, orphan);
    h.run([new StatefulSetController()]);
    // OnDelete: the adopted pod (of no known revision) is not replaced by a rolling update.
    const sts = await sets().create(statefulSet('db', 1, { updateStrategy: { type: 'OnDelete' } }));
    const adopted = await waitFor('db-0 adopted', async () => {
      const p = await h.client.pods('default').get('db-0');
      return p.metadata.ownerReferences?.length ? p : undefined;
    });
    expect(adopted.metadata.uid).toBe(orphan.metadata.uid); // kept, not recreated
    expect(adopted.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        name: 'db',
        uid: sts.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect((await h.client.pods('default').get('stray')).metadata.ownerReferences).toBeUndefined();

    await h.client
      .pods('default')
      .patch('db-0', { metadata: { labels: { app: 'other' } } }, 'merge');
    await waitFor('db-0 released', async () => {
      const p = await h.client.pods('default').get('db-0');
      return p.metadata.ownerReferences?.length ? undefined : true;
    });
  });

  it('answers a StatefulSet without serviceName with a 422 on spec.serviceName', async () => {
    const bad = statefulSet('nosvc', 1) as KubeObject & { spec: Record<string, unknown> };
    delete bad.spec.serviceName;
    await expect(sets().create(bad)).rejects.toMatchObject({
      code: 422,
      status: {
        details: {
          causes: [
            expect.objectContaining({ field: 'spec.serviceName', reason: 'FieldValueRequired' }),
          ],
        },
      },
    });
  });
});
