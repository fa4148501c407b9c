// ResourceQuota and LimitRange in process: admission refuses what exceeds a quota with
// Kubernetes' message (403), LimitRange defaults and bounds containers, and the controller keeps
// status.used true as pods come and go.
import type { KubeObject } from '@flotilla/api';
import type { Pod } from '@flotilla/client';
import { startHarness, waitFor, type Harness } from '../../test/harness';
import { ResourceQuotaController } from './resourcequota-controller';

function pod(name: string, cpu?: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'nginx:1',
          ...(cpu ? { resources: { requests: { cpu }, limits: { cpu } } } : {}),
        },
      ],
    },
  };
}

describe('ResourceQuota and LimitRange', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  const quotas = () => h.client.forKind<KubeObject>('v1', 'ResourceQuota', 'default');

  it('refuses a pod past the quota with 403 and keeps usage as pods come and go', async () => {
    h.run([new ResourceQuotaController()]);
    await quotas().create({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'compute', namespace: 'default' },
      spec: { hard: { pods: '2', 'requests.cpu': '1' } },
    });
    await h.client.pods('default').create(pod('a', '500m'));
    await expect(h.client.pods('default').create(pod('nocpu'))).rejects.toMatchObject({
      code: 403,
      message: 'pods "nocpu" is forbidden: failed quota: compute: must specify requests.cpu',
    });
    await expect(h.client.pods('default').create(pod('big', '800m'))).rejects.toMatchObject({
      code: 403,
      message:
        'pods "big" is forbidden: exceeded quota: compute, requested: requests.cpu=800m, used: requests.cpu=500m, limited: requests.cpu=1',
    });
    await h.client.pods('default').create(pod('b', '500m'));
    await expect(h.client.pods('default').create(pod('c', '100m'))).rejects.toMatchObject({
      code: 403,
      message: expect.stringContaining(
        'exceeded quota: compute, requested: pods=1,requests.cpu=100m, used: pods=2,requests.cpu=1',
      ),
    });
    const used = await waitFor('usage recorded', async () => {
      const q = await quotas().get('compute');
      const u = (q.status as { used?: Record<string, string> } | undefined)?.used;
      return u?.pods === '2' ? u : undefined;
    });
    expect(used).toEqual({ pods: '2', 'requests.cpu': '1' });
    await h.client.pods('default').delete('a', { gracePeriodSeconds: 0 });
    await waitFor('usage given back', async () => {
      const q = await quotas().get('compute');
      const u = (q.status as { used?: Record<string, string> } | undefined)?.used;
      return u?.pods === '1' && u['requests.cpu'] === '500m' ? true : undefined;
    });
    await h.client.pods('default').create(pod('c', '100m'));
  });

  it('gives containers the LimitRange defaults and refuses what lies outside its bounds', async () => {
    await h.client.forKind('v1', 'LimitRange', 'default').create({
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'limits', namespace: 'default' },
      spec: {
        limits: [
          {
            type: 'Container',
            default: { cpu: '500m' },
            defaultRequest: { cpu: '100m' },
            max: { cpu: '1' },
          },
        ],
      },
    });
    const made = await h.client.pods('default').create(pod('plain'));
    expect(made.spec?.containers[0].resources).toEqual({
      limits: { cpu: '500m' },
      requests: { cpu: '100m' },
    });
    expect(made.status?.qosClass).toBe('Burstable');
    await expect(h.client.pods('default').create(pod('huge', '2'))).rejects.toMatchObject({
      code: 403,
      message: 'pods "huge" is forbidden: [maximum cpu usage per Container is 1, but limit is 2]',
    });
  });
});
