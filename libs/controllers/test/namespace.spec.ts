// The namespace controller against a real API server: deleting a namespace empties it of every
// resource the server serves, reports what is left, and finalizes it once nothing is.
import { isApiError } from '@flotilla/api';
import type { ConfigMap, KubeClient, Namespace } from '@flotilla/client';
import { NamespaceController } from '../src/namespace/namespace-controller';
import { advance, eventually, startHarness, type Harness } from './harness-b';
import { addPod, addService } from './pods-b';

async function gone(client: KubeClient, name: string): Promise<boolean> {
  try {
    await client.namespaces().get(name);
    return false;
  } catch (err) {
    return isApiError(err) && err.status.code === 404;
  }
}

describe('namespace controller', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.stop());

  const fill = async (ns: string) => {
    await h.client.namespaces().create({ metadata: { name: ns } });
    await h.client.configMaps(ns).create({ metadata: { name: 'cfg' }, data: { a: '1' } });
    await addService(
      h.client,
      'svc',
      { selector: { app: 'x' }, ports: [{ port: 80 }] },
      { namespace: ns },
    );
    await addPod(h.client, 'loose', { namespace: ns, labels: { app: 'x' }, ip: '10.244.0.7' });
    await h.client.deployments(ns).create({
      metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: { app: 'x' } },
        template: {
          metadata: { labels: { app: 'x' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    });
    await h.client.leases(ns).create({ metadata: { name: 'lock' }, spec: {} });
  };
  const contentOf = async (ns: string) => {
    const lists = await Promise.all([
      h.client.configMaps(ns).list(),
      h.client.services(ns).list(),
      h.client.pods(ns).list(),
      h.client.deployments(ns).list(),
      h.client.leases(ns).list(),
    ]);
    return lists.reduce((n, l) => n + l.items.length, 0);
  };

  it('empties a deleted namespace of everything in it, then lets it go', async () => {
    await fill('doomed');
    await fill('kept');
    h.run(new NamespaceController());
    await h.client.namespaces().delete('doomed');
    await eventually(() => gone(h.client, 'doomed'), 'namespace doomed removed');
    expect(await contentOf('doomed')).toBe(0);
    // A namespace not being deleted is left alone.
    expect(await contentOf('kept')).toBe(5);
    expect((await h.client.namespaces().get('kept')).status?.phase).toBe('Active');
  });

  it('says what is left while a finalizer holds content, and finishes once it is released', async () => {
    await h.client.namespaces().create({ metadata: { name: 'held' } });
    await h.client.configMaps('held').create({
      metadata: { name: 'pinned', finalizers: ['example.com/hold'] },
    });
    await h.client.configMaps('held').create({ metadata: { name: 'free' } });
    h.run(new NamespaceController());
    await h.client.namespaces().delete('held');
    const ns = await eventually(async () => {
      const n: Namespace = await h.client.namespaces().get('held');
      return n.status?.conditions?.some(
        (c) => c.type === 'NamespaceFinalizersRemaining' && c.status === 'True',
      )
        ? n
        : undefined;
    }, 'conditions reporting the finalizer');
    expect(ns.status?.phase).toBe('Terminating');
    const cond = (t: string) => ns.status?.conditions?.find((c) => c.type === t);
    expect(cond('NamespaceContentRemaining')).toMatchObject({
      status: 'True',
      reason: 'SomeResourcesRemain',
      message: 'Some resources are remaining: configmaps. has 1 resource instances',
    });
    expect(cond('NamespaceFinalizersRemaining')?.message).toBe(
      'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances',
    );
    expect(cond('NamespaceDeletionContentFailure')).toMatchObject({ status: 'False' });
    expect(cond('NamespaceDeletionDiscoveryFailure')).toMatchObject({ status: 'False' });
    expect(ns.spec?.finalizers).toEqual(['kubernetes']);
    expect((await h.client.configMaps('held').list()).items.map((c) => c.metadata.name)).toEqual([
      'pinned',
    ]);

    // The finalizer's owner lets go: the configmap goes, and at the next check the namespace.
    const pinned: ConfigMap = await h.client.configMaps('held').get('pinned');
    await h.client
      .configMaps('held')
      .update({ ...pinned, metadata: { ...pinned.metadata, finalizers: [] } });
    await eventually(async () => {
      await advance(h.clock, 1000);
      return gone(h.client, 'held');
    }, 'namespace held removed');
  });
});
