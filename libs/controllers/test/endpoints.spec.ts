// The legacy Endpoints controller against a real API server.
import type { Endpoints } from '@flotilla/client';
import { findResource } from '@flotilla/api';
import { EndpointsController } from '../src/endpoints/endpoints-controller';
import { eventually, startHarness, type Harness } from './harness-b';
import { addPod, addService, setReady } from './pods-b';

const ENDPOINTS = findResource('', 'v1', 'endpoints')!;

describe('Endpoints controller', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.stop());

  const endpoints = (ns = 'default') => h.client.resource<Endpoints>(ENDPOINTS, ns);
  const get = (name: string) =>
    endpoints()
      .get(name)
      .catch(() => undefined);
  const ips = (list?: { ip?: string }[]) => (list ?? []).map((a) => a.ip);

  it('lists ready and not-ready pods per port list, and writes only on change', async () => {
    await addService(
      h.client,
      'web',
      {
        selector: { app: 'web' },
        ports: [
          { name: 'http', port: 80, targetPort: 'http' },
          { name: 'metrics', port: 9100, targetPort: 9100 },
        ],
      },
      { labels: { team: 'front' } },
    );
    const web = { app: 'web' };
    await addPod(h.client, 'a', {
      labels: web,
      ip: '10.244.0.1',
      node: 'n1',
      ports: [{ name: 'http', containerPort: 8080 }],
    });
    await addPod(h.client, 'b', {
      labels: web,
      ip: '10.244.0.2',
      ready: false,
      ports: [{ name: 'http', containerPort: 8080 }],
    });
    // c has no port named http: it serves metrics only.
    await addPod(h.client, 'c', { labels: web, ip: '10.244.0.3' });
    h.run(new EndpointsController());

    const ep = await eventually(async () => {
      const e = await get('web');
      return e?.subsets?.length === 2 ? e : undefined;
    }, 'Endpoints web');
    expect(ep.metadata.labels).toEqual({
      team: 'front',
      'endpoints.kubernetes.io/managed-by': 'endpoint-controller',
    });
    expect(ep.subsets).toEqual([
      {
        addresses: [
          {
            ip: '10.244.0.1',
            nodeName: 'n1',
            targetRef: expect.objectContaining({ kind: 'Pod', name: 'a' }),
          },
        ],
        notReadyAddresses: [
          { ip: '10.244.0.2', targetRef: expect.objectContaining({ name: 'b' }) },
        ],
        ports: [
          { name: 'http', port: 8080, protocol: 'TCP' },
          { name: 'metrics', port: 9100, protocol: 'TCP' },
        ],
      },
      {
        addresses: [{ ip: '10.244.0.3', targetRef: expect.objectContaining({ name: 'c' }) }],
        ports: [{ name: 'metrics', port: 9100, protocol: 'TCP' }],
      },
    ]);

    // A pod the Service does not select changes: nothing is written.
    await addPod(h.client, 'other', { labels: { app: 'other' }, ip: '10.244.0.9' });
    // b turns ready; a starts terminating: a leaves, b moves to addresses.
    await setReady(h.client, 'default', 'b', true);
    const pa = await h.client.pods('default').get('a');
    await h.client
      .pods('default')
      .update({ ...pa, metadata: { ...pa.metadata, finalizers: ['example.com/hold'] } });
    await h.client.pods('default').delete('a');
    const after = await eventually(async () => {
      const e = await get('web');
      return e && ips(e.subsets?.[0]?.addresses).join() === '10.244.0.2' ? e : undefined;
    }, 'a gone, b ready');
    expect(after.subsets?.[0]?.notReadyAddresses).toBeUndefined();
    // Nothing else moves: a resync of the same state writes nothing.
    const rv = after.metadata.resourceVersion;
    await h.client
      .services('default')
      .patch('web', { metadata: { annotations: { x: 'y' } } }, 'merge');
    await new Promise((r) => setTimeout(r, 100));
    expect((await get('web'))?.metadata.resourceVersion).toBe(rv);
  });

  it('publishes not-ready headless pods when asked, leaves selector-less Services alone, and deletes with the Service', async () => {
    await addService(h.client, 'db', {
      clusterIP: 'None',
      selector: { app: 'db' },
      publishNotReadyAddresses: true,
    });
    await addPod(h.client, 'db-0', {
      labels: { app: 'db' },
      ip: '10.244.1.1',
      ready: false,
      hostname: 'db-0',
      subdomain: 'db',
    });
    await addService(h.client, 'manual', { ports: [{ port: 80 }] });
    const manual = await endpoints().create({
      metadata: { name: 'manual' },
      subsets: [{ addresses: [{ ip: '192.0.2.1' }], ports: [{ port: 80 }] }],
    });
    h.run(new EndpointsController());
    const db = await eventually(
      async () => (await get('db'))?.subsets?.length === 1 && get('db'),
      'db',
    );
    expect(db!.subsets).toEqual([
      { addresses: [{ ip: '10.244.1.1', hostname: 'db-0', targetRef: expect.anything() }] },
    ]);
    expect(db!.metadata.labels).toMatchObject({ 'service.kubernetes.io/headless': '' });

    await h.client.services('default').delete('db');
    await eventually(async () => (await get('db')) === undefined, 'db Endpoints deleted');
    // Deleting the selector-less Service does not delete Endpoints the controller did not write.
    await h.client.services('default').delete('manual');
    await new Promise((r) => setTimeout(r, 100));
    expect((await get('manual'))?.metadata.resourceVersion).toBe(manual.metadata.resourceVersion);
  });
});
