// The hollow fleet's pod informer caches pods without managedFields, and the status its player
// writes for a cached pod leaves the server's field owners in place.
import type { Pod } from '@flotilla/client';
import { startTestApi, type TestApi } from '@flotilla/testing';
import { HollowFleet } from './hollow-fleet';
import type { HollowOptions } from './hollow-options';

const options: HollowOptions = {
  count: 1,
  namePrefix: 'lean',
  cpu: '4',
  memory: '8Gi',
  pods: 110,
  labels: {},
  taints: [],
  zones: 0,
  kubeconfig: '',
  leaseRenewMs: 60_000,
  concurrency: 2,
};

const managersOf = (pod: Pod) =>
  ((pod.metadata.managedFields ?? []) as { manager: string; subresource?: string }[])
    .map((e) => `${e.manager}${e.subresource ? `/${e.subresource}` : ''}`)
    .sort();

describe('HollowFleet', () => {
  let api: TestApi;
  let fleet: HollowFleet | undefined;
  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(async () => {
    await fleet?.stop();
    await api.stop();
  });

  it('caches its pods without managedFields; their status write keeps the stored owners', async () => {
    fleet = new HollowFleet(api.newClient({ component: 'hollow-kubelet' }), options);
    await fleet.start();
    await api.client.pods('default').create(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web', namespace: 'default' },
        spec: { nodeName: 'lean-0', containers: [{ name: 'web', image: 'nginx' }] },
      },
      { fieldManager: 'kubectl-run' },
    );
    const deadline = Date.now() + 20_000;
    let stored: Pod | undefined;
    while (Date.now() < deadline) {
      stored = await api.client.pods('default').get('web');
      if (stored.status?.phase === 'Running') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(stored?.status?.phase).toBe('Running');
    expect(managersOf(stored!)).toEqual(['flotilla-hollow-kubelet/status', 'kubectl-run']);
    const cached = fleet.boundPods();
    expect(cached.map((p) => p.metadata.name)).toEqual(['web']);
    expect(cached[0].metadata.managedFields).toBeUndefined();
  });
});
