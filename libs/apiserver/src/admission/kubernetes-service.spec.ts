import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '@flotilla/api';
import { ApiServer } from '../api-server';
import { LocalBackend } from '../storage/local-backend';
import { SERVICE_IP_PREFIX } from '../storage/key-layout';
import {
  endpointsWithMaster,
  kubernetesServiceBody,
  MasterAddress,
  slicesWithMaster,
} from './kubernetes-service';

const m = (name: string, ip: string, port = 6443): MasterAddress => ({ name, ip, port });
const stored = (o: KubeObject, rv = '7'): KubeObject => ({
  ...o,
  metadata: { ...o.metadata, resourceVersion: rv },
});
const subsetsOf = (o: KubeObject | undefined) => o?.subsets;
const endpointsOf = (slices: KubeObject[]) =>
  Object.fromEntries(slices.map((s) => [s.metadata.name, s.endpoints]));

describe('the kubernetes Service', () => {
  it('is a ClusterIP Service on 443 named https, leading to the API port', () => {
    expect(kubernetesServiceBody('10.96.0.1', 6443)).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { component: 'apiserver', provider: 'kubernetes' },
      },
      spec: {
        type: 'ClusterIP',
        clusterIP: '10.96.0.1',
        clusterIPs: ['10.96.0.1'],
        sessionAffinity: 'None',
        ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: 6443 }],
      },
    });
  });
});

describe('endpointsWithMaster', () => {
  it('creates the Endpoints with this master, skipped by the mirroring controller', () => {
    expect(endpointsWithMaster(undefined, m('m1', '10.0.0.1'))).toEqual({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
      },
      subsets: [
        {
          addresses: [{ ip: '10.0.0.1', hostname: 'm1' }],
          ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
        },
      ],
    });
  });

  it('adds a master next to the others, keeps the stored resourceVersion, then has nothing to do', () => {
    const one = stored(endpointsWithMaster(undefined, m('m2', '10.0.0.2'))!);
    const two = endpointsWithMaster(one, m('m1', '10.0.0.1'))!;
    expect(two.metadata.resourceVersion).toBe('7');
    expect(subsetsOf(two)).toEqual([
      {
        addresses: [
          { ip: '10.0.0.1', hostname: 'm1' },
          { ip: '10.0.0.2', hostname: 'm2' },
        ],
        ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
      },
    ]);
    expect(endpointsWithMaster(stored(two), m('m1', '10.0.0.1'))).toBeUndefined();
    expect(endpointsWithMaster(stored(two), m('m2', '10.0.0.2'))).toBeUndefined();
  });

  it('gives masters on one host a subset per API port', () => {
    let ep: KubeObject | undefined;
    for (const self of [m('m3', '127.0.0.1', 6445), m('m1', '127.0.0.1', 6443)]) {
      ep = stored(endpointsWithMaster(ep, self)!);
    }
    expect(endpointsWithMaster(ep, m('m2', '127.0.0.1', 6444))!.subsets).toEqual(
      [6443, 6444, 6445].map((port, i) => ({
        addresses: [{ ip: '127.0.0.1', hostname: `m${i + 1}` }],
        ports: [{ name: 'https', port, protocol: 'TCP' }],
      })),
    );
  });

  it("moves this master's own entry when its address changes, and takes over its exact address", () => {
    const ep = stored({
      metadata: { name: 'kubernetes', namespace: 'default' },
      subsets: [
        {
          addresses: [
            { ip: '10.0.0.1', hostname: 'm1' },
            { ip: '10.0.0.2', hostname: 'm2' },
          ],
          ports: [{ port: 6443 }],
        },
        { addresses: [{ ip: '10.0.0.9' }], ports: [{ port: 6443 }] },
      ],
    });
    const moved = endpointsWithMaster(ep, m('m1', '10.0.0.5'))!;
    expect(moved.subsets).toEqual([
      {
        addresses: [
          { ip: '10.0.0.2', hostname: 'm2' },
          { ip: '10.0.0.5', hostname: 'm1' },
          { ip: '10.0.0.9' },
        ],
        ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
      },
    ]);
    const renamed = endpointsWithMaster(ep, m('m4', '10.0.0.9'))!;
    expect(
      (renamed.subsets as { addresses: { hostname?: string }[] }[])[0].addresses.map(
        (a) => a.hostname,
      ),
    ).toEqual(['m1', 'm2', 'm4']);
  });
});

describe('slicesWithMaster', () => {
  it('creates the slice named after the Service for its target port', () => {
    const plan = slicesWithMaster([], m('m1', '10.0.0.1'), 6443);
    expect(plan.remove).toEqual([]);
    expect(plan.write).toEqual([
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: 'kubernetes',
          namespace: 'default',
          labels: { 'kubernetes.io/service-name': 'kubernetes' },
        },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true }, hostname: 'm1' }],
        ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
      },
    ]);
  });

  it('adds a master to the slice of its port, a new slice per other port, then has nothing to do', () => {
    let slices: KubeObject[] = [];
    const apply = (self: MasterAddress) => {
      const plan = slicesWithMaster(slices, self, 6443);
      const written = new Map(plan.write.map((s) => [s.metadata.name, stored(s)]));
      slices = [...slices.filter((s) => !written.has(s.metadata.name)), ...written.values()].filter(
        (s) => !plan.remove.includes(s),
      );
      return plan;
    };
    apply(m('m2', '127.0.0.1', 6444));
    apply(m('m1', '127.0.0.1', 6443));
    apply(m('m3', '10.0.0.3', 6443));
    expect(endpointsOf(slices)).toEqual({
      'kubernetes-6444': [
        { addresses: ['127.0.0.1'], conditions: { ready: true }, hostname: 'm2' },
      ],
      kubernetes: [
        { addresses: ['10.0.0.3'], conditions: { ready: true }, hostname: 'm3' },
        { addresses: ['127.0.0.1'], conditions: { ready: true }, hostname: 'm1' },
      ],
    });
    for (const self of [m('m1', '127.0.0.1', 6443), m('m2', '127.0.0.1', 6444)]) {
      expect(slicesWithMaster(slices, self, 6443)).toEqual({ write: [], remove: [] });
    }
    // m2 comes back on the primary port: its old slice empties and goes
    const plan = apply(m('m2', '127.0.0.1', 6445));
    expect(plan.remove.map((s) => s.metadata.name)).toEqual(['kubernetes-6444']);
    expect(slices.map((s) => s.metadata.name).sort()).toEqual(['kubernetes', 'kubernetes-6445']);
  });
});

describe('KubernetesServiceReconciler over a local store', () => {
  let dir: string;
  let kv: LocalBackend;
  const servers: ApiServer[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-kubernetes-svc-'));
    kv = await LocalBackend.open(dir);
  });
  afterAll(async () => {
    for (const s of servers) s.stop();
    await kv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('three masters at once: one Service on the first address, claimed once, all three in the endpoints', async () => {
    for (let i = 0; i < 3; i++) {
      servers.push(new ApiServer(kv, { serviceCidr: '10.100.0.0/16', watchWindow: 100 }));
    }
    await Promise.all(servers.map((s) => s.bootstrap()));
    const outcomes = await Promise.all(
      servers.map((s, i) =>
        s.reconcileKubernetesService(m(`m${i + 1}`, '127.0.0.1', 6443 + i), 6443 + i),
      ),
    );
    expect(outcomes.filter((o) => o.serviceCreated)).toHaveLength(1);
    const store = servers[0].store;
    const svc = (await store.get('/registry/services/specs/default/kubernetes'))!;
    expect(svc.spec).toMatchObject({
      clusterIP: '10.100.0.1',
      ports: [{ name: 'https', port: 443, protocol: 'TCP' }],
    });
    const claimed = await kv.range({ key: Buffer.from(`${SERVICE_IP_PREFIX}10.100.0.1`) });
    expect(claimed.kvs.map((k) => k.value.toString())).toEqual(['default/kubernetes']);
    const ep = (await store.get('/registry/services/endpoints/default/kubernetes'))!;
    expect(
      (
        ep.subsets as { addresses: { ip: string; hostname: string }[]; ports: { port: number }[] }[]
      ).map((s) => `${s.addresses[0].hostname}=${s.addresses[0].ip}:${s.ports[0].port}`),
    ).toEqual(['m1=127.0.0.1:6443', 'm2=127.0.0.1:6444', 'm3=127.0.0.1:6445']);
    const slices = await store.list('/registry/endpointslices/default/');
    expect(slices.items.map((s) => s.metadata.name).sort()).toHaveLength(3);
    // A second round changes nothing.
    const again = await Promise.all(
      servers.map((s, i) =>
        s.reconcileKubernetesService(m(`m${i + 1}`, '127.0.0.1', 6443 + i), 6443 + i),
      ),
    );
    expect(again.every((o) => !o.serviceCreated && !o.endpointsChanged)).toBe(true);
  });

  it('recreates a deleted Service with the same address', async () => {
    const store = servers[0].store;
    const svc = (await store.get('/registry/services/specs/default/kubernetes'))!;
    const outcome = await servers[1].handler.handle({
      method: 'DELETE',
      path: '/api/v1/namespaces/default/services/kubernetes',
      query: new URLSearchParams(),
      headers: {},
    });
    expect(outcome).toMatchObject({ status: 200 });
    const r = await servers[2].reconcileKubernetesService(undefined, 6445);
    expect(r.serviceCreated).toBe(true);
    const back = (await store.get('/registry/services/specs/default/kubernetes'))!;
    expect(back.metadata.uid).not.toBe(svc.metadata.uid);
    expect((back.spec as { clusterIP: string }).clusterIP).toBe('10.100.0.1');
  });
});
