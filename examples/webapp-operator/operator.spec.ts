// The WebApp operator against a real API server (in process): the CRD is created and Established,
// the operator's informer watches WebApps, and each one becomes a Deployment and a Service it
// owns; spec changes and deleted children are reconciled, the status reports ready replicas.
import type { KubeObject } from '@flotilla/api';
import { startTestApi, type TestApi } from '@flotilla/testing';
import { WebAppOperator } from './operator';
import { WEBAPP_CRD, WEBAPPS, type WebApp } from './webapp';

async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('the WebApp operator', () => {
  let api: TestApi;
  let operator: WebAppOperator;
  let running: Promise<void>;

  beforeEach(async () => {
    api = await startTestApi();
    const crds = api.client.forResource('customresourcedefinitions', 'apiextensions.k8s.io');
    await crds.create(WEBAPP_CRD);
    await eventually('the CRD Established', async () => {
      const crd = await crds.get(WEBAPP_CRD.metadata.name!);
      const conditions = (crd.status as { conditions?: { type: string; status: string }[] })
        .conditions;
      return conditions?.some((c) => c.type === 'Established' && c.status === 'True')
        ? true
        : undefined;
    });
    operator = new WebAppOperator(api.client);
    running = operator.run();
  });

  afterEach(async () => {
    operator.stop();
    await running;
    await api.stop();
  });

  it('reconciles a WebApp into a Deployment and a Service, and reports status', async () => {
    const apps = api.client.resource<WebApp>(WEBAPPS, 'default');
    const created = await apps.create({
      apiVersion: 'example.flotilla.io/v1',
      kind: 'WebApp',
      metadata: { name: 'shop' },
      spec: { image: 'nginx:1.27' } as WebApp['spec'],
    });
    // The schema's defaults.
    expect(created.spec).toEqual({ image: 'nginx:1.27', replicas: 1, port: 8080 });

    const deployments = api.client.deployments('default');
    const d = await eventually('the Deployment', () => deployments.get('shop'));
    expect(d.spec?.replicas).toBe(1);
    expect(d.spec?.template.spec?.containers[0].image).toBe('nginx:1.27');
    expect(d.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'WebApp',
      name: 'shop',
      controller: true,
    });
    const svc = await eventually('the Service', () => api.client.services('default').get('shop'));
    expect(svc.spec?.ports?.[0]).toMatchObject({ port: 8080, targetPort: 8080 });

    // A spec change reaches the Deployment.
    await apps.patch('shop', { spec: { replicas: 3, image: 'nginx:1.28' } }, 'merge');
    await eventually('3 replicas of nginx:1.28', async () => {
      const now = await deployments.get('shop');
      return now.spec?.replicas === 3 &&
        now.spec.template.spec?.containers[0].image === 'nginx:1.28'
        ? true
        : undefined;
    });

    // The Deployment's ready replicas come back in the WebApp's status.
    const current = await deployments.get('shop');
    await deployments.updateStatus({
      ...current,
      status: { replicas: 3, readyReplicas: 2 },
    } as typeof current);
    const app = await eventually('the status', async () => {
      const a = await apps.get('shop');
      return a.status?.readyReplicas === 2 ? a : undefined;
    });
    expect(app.status).toEqual({
      readyReplicas: 2,
      observedGeneration: 2,
      url: 'http://shop.default.svc:8080',
    });

    // A deleted child comes back.
    await api.client.services('default').delete('shop');
    await eventually('the Service again', () => api.client.services('default').get('shop'));
  });

  it('refuses a WebApp failing its schema', async () => {
    const apps = api.client.resource<KubeObject>(WEBAPPS, 'default');
    await expect(
      apps.create({
        apiVersion: 'example.flotilla.io/v1',
        kind: 'WebApp',
        metadata: { name: 'bad' },
        spec: { image: '', port: 70000 },
      }),
    ).rejects.toMatchObject({
      status: {
        code: 422,
        details: {
          causes: [
            {
              field: 'spec.image',
              message: 'Invalid value: "": spec.image in body should be at least 1 chars long',
            },
            {
              field: 'spec.port',
              message:
                'Invalid value: 70000: spec.port in body should be less than or equal to 65535',
            },
          ],
        },
      },
    });
  });
});
