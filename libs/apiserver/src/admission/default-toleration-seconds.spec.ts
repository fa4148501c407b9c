import { findResource } from '@flotilla/api';
import { startTestApi, type TestApi } from '@flotilla/testing';
import { objectKey } from '../storage/key-layout';
import { checkTolerationSeconds } from './default-toleration-seconds';

const PODS = findResource('', 'v1', 'pods')!;

type Tol = { key?: string; operator?: string; effect?: string; tolerationSeconds?: number };
const pod = (name: string, tolerations?: Tol[]) => ({
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...(tolerations ? { tolerations } : {}) },
});

type Toleration = { key?: string; effect?: string; tolerationSeconds?: number };
const tolerationsOf = (p: { spec?: unknown }) =>
  ((p.spec as { tolerations?: Toleration[] }).tolerations ?? []).map(
    (t) => `${t.key ?? '*'}:${t.effect ?? '*'}=${t.tolerationSeconds ?? '∞'}`,
  );

describe('DefaultTolerationSeconds admission', () => {
  let api: TestApi;
  afterEach(() => api.stop());

  it('gives a new pod 300 s tolerations for not-ready and unreachable nodes', async () => {
    api = await startTestApi();
    const created = await api.client.pods('default').create(pod('p'));
    expect(tolerationsOf(created)).toEqual([
      'node.kubernetes.io/not-ready:NoExecute=300',
      'node.kubernetes.io/unreachable:NoExecute=300',
    ]);
  });

  it('uses the configured seconds, and leaves a toleration the pod has alone', async () => {
    api = await startTestApi({ defaultTolerationSeconds: { notReady: 30, unreachable: 7 } });
    const own = await api.client
      .pods('default')
      .create(
        pod('own', [
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 2 },
        ]),
      );
    expect(tolerationsOf(own)).toEqual([
      'node.kubernetes.io/unreachable:*=2',
      'node.kubernetes.io/not-ready:NoExecute=30',
    ]);
    const everything = await api.client
      .pods('default')
      .create(pod('all', [{ operator: 'Exists' }]));
    expect(tolerationsOf(everything)).toEqual(['*:*=∞']);
  });

  it('runs on updates too: a pod stored without them gets them on its next update', async () => {
    api = await startTestApi({ defaultTolerationSeconds: { notReady: 11, unreachable: 12 } });
    const created = await api.client.pods('default').create(pod('old'));
    // Stored without tolerations, as an older server (or a restore) might have left it.
    const key = objectKey(PODS, 'default', 'old');
    const bare = { ...created, spec: { ...(created.spec as object), tolerations: [] } };
    const res = await api.server.store.update(key, bare, Number(created.metadata.resourceVersion));
    expect(res.ok).toBe(true);
    const stored = await api.client.pods('default').get('old');
    expect(tolerationsOf(stored)).toEqual([]);
    // The status subresource is not admitted: it may not touch the spec at all.
    const status = await api.client
      .pods('default')
      .updateStatus({ ...stored, status: { phase: 'Pending' } });
    expect(tolerationsOf(status)).toEqual([]);
    const labelled = { ...status, metadata: { ...status.metadata, labels: { a: 'b' } } };
    const updated = await api.client.pods('default').update(labelled);
    expect(tolerationsOf(updated)).toEqual([
      'node.kubernetes.io/not-ready:NoExecute=11',
      'node.kubernetes.io/unreachable:NoExecute=12',
    ]);
  });

  it('refuses settings kube-apiserver would refuse', () => {
    expect(() => checkTolerationSeconds({ notReady: -1, unreachable: 300 })).toThrow(
      /notReady toleration seconds must be a whole number ≥ 0, not -1/,
    );
    expect(() => checkTolerationSeconds({ notReady: 1, unreachable: 0.5 })).toThrow(/unreachable/);
    expect(checkTolerationSeconds({ notReady: 0, unreachable: 60 })).toEqual({
      notReady: 0,
      unreachable: 60,
    });
  });
});
