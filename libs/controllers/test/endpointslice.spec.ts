// The EndpointSlice controller against a real API server: what the slices of a Service say about
// its pods, how they split and how little they churn, headless Services, Services it leaves alone.
import type { EndpointSlice } from '@flotilla/client';
import type { Controller } from '../src/controller';
import {
  EndpointSliceController,
  EndpointSliceRun,
  endpointSliceSettings,
} from '../src/endpointslice/endpointslice-controller';
import { advance, eventually, startHarness, type Harness } from './harness-b';
import { addPod, addService, setReady } from './pods-b';

const MANAGED = { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' };

describe('EndpointSlice controller', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.stop());

  const slicesOf = async (svc: string, ns = 'default') =>
    (await h.client.endpointSlices(ns).list({ labelSelector: `kubernetes.io/service-name=${svc}` }))
      .items;
  const endpointNames = (slices: EndpointSlice[]) =>
    slices.flatMap((s) => (s.endpoints ?? []).map((e) => e.targetRef?.name)).sort();
  const waitFor = (svc: string, what: string, check: (s: EndpointSlice[]) => boolean) =>
    eventually(async () => {
      const s = await slicesOf(svc);
      return check(s) ? s : undefined;
    }, what);

  it("lists a Service's pods with conditions, node, zone and named ports resolved per pod", async () => {
    await h.client
      .nodes()
      .create({ metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'z1' } } });
    await addService(h.client, 'web', {
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 'http' }],
    });
    const http = (port: number) => [{ name: 'http', containerPort: port }];
    const web = { app: 'web' };
    await addPod(h.client, 'a', { labels: web, node: 'n1', ip: '10.244.0.1', ports: http(8080) });
    await addPod(h.client, 'b', {
      labels: web,
      node: 'n1',
      ip: '10.244.0.2',
      ports: http(8080),
      ready: false,
    });
    await addPod(h.client, 'c', { labels: web, node: 'n1', ip: '10.244.0.3', ports: http(9090) });
    await addPod(h.client, 'no-ip', { labels: web, node: 'n1', ports: http(8080) });
    await addPod(h.client, 'done', {
      labels: web,
      node: 'n1',
      ip: '10.244.0.4',
      ports: http(8080),
      phase: 'Succeeded',
    });
    await addPod(h.client, 'other', { labels: { app: 'db' }, node: 'n1', ip: '10.244.0.5' });
    h.run(new EndpointSliceController());

    const slices = await waitFor('web', 'slices for a, b, c', (s) => endpointNames(s).length === 3);
    expect(endpointNames(slices)).toEqual(['a', 'b', 'c']);
    const byPort = new Map(slices.map((s) => [s.ports?.[0]?.port, s]));
    expect([...byPort.keys()].sort()).toEqual([8080, 9090]);
    const s8080 = byPort.get(8080)!;
    expect(s8080.metadata.labels).toMatchObject({
      'kubernetes.io/service-name': 'web',
      ...MANAGED,
    });
    expect(s8080.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Service', name: 'web' });
    expect(s8080.addressType).toBe('IPv4');
    expect(s8080.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const a = s8080.endpoints!.find((e) => e.targetRef?.name === 'a')!;
    expect(a).toMatchObject({
      addresses: ['10.244.0.1'],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: 'n1',
      zone: 'z1',
      targetRef: { kind: 'Pod', namespace: 'default', name: 'a' },
    });
    const b = s8080.endpoints!.find((e) => e.targetRef?.name === 'b')!;
    expect(b.conditions).toEqual({ ready: false, serving: false, terminating: false });

    // b turns ready; a starts terminating (held by a finalizer): serving, not ready.
    await setReady(h.client, 'default', 'b', true);
    const pa = await h.client.pods('default').get('a');
    await h.client
      .pods('default')
      .update({ ...pa, metadata: { ...pa.metadata, finalizers: ['example.com/hold'] } });
    await h.client.pods('default').delete('a');
    const after = await waitFor('web', 'a terminating, b ready', (s) => {
      const eps = s.flatMap((x) => x.endpoints ?? []);
      const ea = eps.find((e) => e.targetRef?.name === 'a');
      const eb = eps.find((e) => e.targetRef?.name === 'b');
      return ea?.conditions?.terminating === true && eb?.conditions?.ready === true;
    });
    const ea = after.flatMap((x) => x.endpoints ?? []).find((e) => e.targetRef?.name === 'a');
    expect(ea?.conditions).toEqual({ ready: false, serving: true, terminating: true });

    // The node moves to another zone: its endpoints follow.
    await h.client
      .nodes()
      .patch('n1', { metadata: { labels: { 'topology.kubernetes.io/zone': 'z2' } } }, 'merge');
    await waitFor('web', 'endpoints in z2', (s) =>
      s.flatMap((x) => x.endpoints ?? []).every((e) => e.zone === 'z2'),
    );
  });

  it('splits at 100 endpoints a slice and rewrites only the slice that changed', async () => {
    await addService(h.client, 'big', { selector: { app: 'big' }, ports: [{ port: 80 }] });
    const names = Array.from({ length: 105 }, (_, i) => `p${String(i).padStart(3, '0')}`);
    for (let i = 0; i < names.length; i += 15) {
      await Promise.all(
        names
          .slice(i, i + 15)
          .map((n, j) =>
            addPod(h.client, n, { labels: { app: 'big' }, ip: `10.244.1.${i + j + 1}` }),
          ),
      );
    }
    h.run(new EndpointSliceController());
    const first = await waitFor('big', '105 endpoints', (s) => endpointNames(s).length === 105);
    expect(first.map((s) => s.endpoints?.length).sort((x, y) => x! - y!)).toEqual([5, 100]);
    const rv = new Map(first.map((s) => [s.metadata.name, s.metadata.resourceVersion]));
    const full = first.find((s) => s.endpoints?.length === 100)!;
    const small = first.find((s) => s.endpoints?.length === 5)!;

    // One more pod: it joins the slice with room; the full one is not written.
    await addPod(h.client, 'p999', { labels: { app: 'big' }, ip: '10.244.2.1' });
    const second = await waitFor('big', '106 endpoints', (s) => endpointNames(s).length === 106);
    expect(second).toHaveLength(2);
    const now = new Map(second.map((s) => [s.metadata.name, s]));
    expect(now.get(full.metadata.name)!.metadata.resourceVersion).toBe(rv.get(full.metadata.name));
    expect(now.get(small.metadata.name)!.endpoints).toHaveLength(6);

    // A pod of the full slice turns not ready: that slice alone is written.
    const inFull = full.endpoints![0].targetRef!.name!;
    const smallRv = now.get(small.metadata.name)!.metadata.resourceVersion;
    await setReady(h.client, 'default', inFull, false);
    const third = await waitFor('big', `${inFull} not ready`, (s) =>
      s.some((x) =>
        (x.endpoints ?? []).some((e) => e.targetRef?.name === inFull && !e.conditions?.ready),
      ),
    );
    expect(
      third.find((s) => s.metadata.name === small.metadata.name)!.metadata.resourceVersion,
    ).toBe(smallRv);
  });

  it('serves headless Services, keeps a placeholder, leaves selector-less Services alone and cleans up', async () => {
    await addService(
      h.client,
      'db',
      { clusterIP: 'None', selector: { app: 'db' }, publishNotReadyAddresses: true },
      { labels: { team: 'data' } },
    );
    await addPod(h.client, 'db-0', {
      labels: { app: 'db' },
      ip: '10.244.3.1',
      hostname: 'db-0',
      subdomain: 'db',
      ready: false,
    });
    await addService(h.client, 'empty', { selector: { app: 'nothing' }, ports: [{ port: 80 }] });
    await addService(h.client, 'manual', { ports: [{ port: 80 }] });
    const manual = await h.client.endpointSlices('default').create({
      metadata: { name: 'manual-1', labels: { 'kubernetes.io/service-name': 'manual' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['192.0.2.1'] }],
      ports: [{ port: 80 }],
    });
    h.run(new EndpointSliceController());

    const db = await waitFor('db', 'db slice', (s) => endpointNames(s).length === 1);
    expect(db[0].metadata.labels).toMatchObject({
      team: 'data',
      'service.kubernetes.io/headless': '',
      ...MANAGED,
    });
    expect(db[0].ports ?? []).toEqual([]);
    expect(db[0].endpoints![0]).toMatchObject({
      hostname: 'db-0',
      conditions: { ready: true, serving: true, terminating: false },
    });
    const empty = await waitFor('empty', 'placeholder', (s) => s.length === 1);
    expect(empty[0].endpoints ?? []).toEqual([]);

    // The Service goes: so do its slices. The selector-less one's slice was never touched.
    await h.client.services('default').delete('db');
    await waitFor('db', 'db slices gone', (s) => s.length === 0);
    const still = await slicesOf('manual');
    expect(still.map((s) => s.metadata.resourceVersion)).toEqual([manual.metadata.resourceVersion]);
  });

  it('asks the API server when its cache never catches up with a slice it wrote', async () => {
    await addService(h.client, 'lag', { selector: { app: 'lag' }, ports: [{ port: 80 }] });
    await addPod(h.client, 'l1', { labels: { app: 'lag' }, ip: '10.244.4.1' });
    let run: EndpointSliceRun | undefined;
    const controller: Controller = {
      name: 'endpointslice',
      run: (ctx, signal) =>
        (run = new EndpointSliceRun(ctx, endpointSliceSettings(ctx.flags))).run(signal),
    };
    h.run(controller);
    await waitFor('lag', 'l1 listed', (s) => endpointNames(s).length === 1);
    // A slice it "created" that its cache will never see (a relist missed its short life).
    run!.tracker.wrote('default/lag', {
      metadata: { name: 'lag-phantom', uid: 'phantom', resourceVersion: '1' },
      addressType: 'IPv4',
      endpoints: [],
    });
    await addPod(h.client, 'l2', { labels: { app: 'lag' }, ip: '10.244.4.2' });
    // Stale syncs back off on the fake clock, then the live list lets it go on.
    await eventually(async () => {
      await advance(h.clock, 2000);
      return endpointNames(await slicesOf('lag')).length === 2;
    }, 'l2 listed despite the phantom');
    expect(await slicesOf('lag')).toHaveLength(1);
  });
});
