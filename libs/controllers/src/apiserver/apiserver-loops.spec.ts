// Three masters' own loops over one store, each through its own API server and in-process client:
// what a fresh cluster gets, what comes back when deleted, and who the kubernetes endpoints list
// as masters leave gracefully, die, or leave an expired Lease behind.
import { Registry } from 'prom-client';
import { formatMicroTime, type KubeClient, type Lease } from '@flotilla/client';
import { inProcessTransport, startTestApi, type TestApi } from '@flotilla/testing';
import { quietLog, waitFor } from '../../test/harness';
import { ApiServerLoops } from './apiserver-loops';
import { ADDRESS_ANNOTATION, APISERVER_LEASE_SELECTOR } from './apiserver-leases';

type ApiServer = TestApi['server'];

const CIDR = '10.100.0.0/16';
const TTL_SECONDS = 2;
const REFRESH_MS = 200;

describe('the API server loops of three masters', () => {
  let api: TestApi;
  let client: KubeClient;
  const servers: ApiServer[] = [];
  const loops: ApiServerLoops[] = [];

  const loopsFor = (server: ApiServer, i: number) =>
    new ApiServerLoops({
      transport: inProcessTransport(server),
      settings: {
        masterName: `m${i + 1}`,
        self: async () => ({ name: `m${i + 1}`, ip: '127.0.0.1', port: 6443 + i }),
        apiPort: 6443 + i,
        clusterIP: '10.100.0.1',
        leaseDurationSeconds: TTL_SECONDS,
        refreshMs: REFRESH_MS,
      },
      log: quietLog,
      metrics: new Registry(),
    });

  /** name=ip:port per address in Endpoints default/kubernetes, when the slices say the same. */
  const listed = async (): Promise<string[] | undefined> => {
    const ep = await client
      .forResource('endpoints', '', 'default')
      .get('kubernetes')
      .catch(() => undefined);
    const slices = await client
      .endpointSlices('default')
      .list({ labelSelector: 'kubernetes.io/service-name=kubernetes' });
    if (!ep) return undefined;
    const subsets = (ep.subsets ?? []) as {
      addresses: { ip: string; hostname: string }[];
      ports: { port: number }[];
    }[];
    const fromEndpoints = subsets
      .flatMap((s) => s.addresses.map((a) => `${a.hostname}=${a.ip}:${s.ports[0].port}`))
      .sort();
    const fromSlices = slices.items
      .flatMap((s) =>
        (s.endpoints ?? []).map((e) => `${e.hostname}=${e.addresses[0]}:${s.ports![0].port}`),
      )
      .sort();
    return JSON.stringify(fromEndpoints) === JSON.stringify(fromSlices) ? fromEndpoints : undefined;
  };
  const masters = (...ns: number[]) => ns.map((n) => `m${n}=127.0.0.1:${6442 + n}`);
  const waitListed = (want: string[], timeoutMs = 15_000) =>
    waitFor(
      `the endpoints to list ${want.join(', ')}`,
      async () => ((await listed())?.join() === want.join() ? true : undefined),
      timeoutMs,
    );
  const leaseNames = async () =>
    (await client.leases('kube-system').list({ labelSelector: APISERVER_LEASE_SELECTOR })).items
      .map((l) => l.metadata.name)
      .sort();

  beforeAll(async () => {
    api = await startTestApi({ bootstrap: false, serviceCidr: CIDR });
    client = api.client;
    servers.push(api.server);
    for (let i = 1; i < 3; i++) {
      const extra = api.addServer({ serviceCidr: CIDR, watchWindow: 1000, bookmarkMs: 1000 });
      extra.warmCaches();
      servers.push(extra);
    }
    expect((await client.namespaces().list()).items).toHaveLength(0);
    servers.forEach((s, i) => loops.push(loopsFor(s, i)));
    for (const l of loops) l.start();
  });

  afterAll(async () => {
    await Promise.all(loops.map((l) => l.stop()));
    await api?.stop();
  });

  it('create the system namespaces and PriorityClasses, the Service, a Lease each, and list all three', async () => {
    await waitListed(masters(1, 2, 3));
    const namespaces = (await client.namespaces().list()).items.map((n) => n.metadata.name).sort();
    expect(namespaces).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    const classes = (await client.forResource('priorityclasses', 'scheduling.k8s.io').list()).items;
    expect(classes.map((c) => c.metadata.name).sort()).toEqual([
      'system-cluster-critical',
      'system-node-critical',
    ]);
    const services = (await client.services('default').list()).items;
    expect(services.map((s) => [s.metadata.name, s.spec?.clusterIP])).toEqual([
      ['kubernetes', '10.100.0.1'],
    ]);
    expect(services[0].spec?.ports).toEqual([
      expect.objectContaining({ name: 'https', port: 443, protocol: 'TCP' }),
    ]);
    expect(await leaseNames()).toEqual([
      'kube-apiserver-m1',
      'kube-apiserver-m2',
      'kube-apiserver-m3',
    ]);
    const lease = await client.leases('kube-system').get('kube-apiserver-m2');
    expect(lease.spec).toMatchObject({ leaseDurationSeconds: TTL_SECONDS });
    expect(lease.spec?.holderIdentity).toMatch(/^m2_[0-9a-f]{16}$/);
    expect(lease.metadata.annotations?.[ADDRESS_ANNOTATION]).toBe('127.0.0.1:6444');
  });

  it('create kube-system/kube-dns at the range’s tenth address, and make it again when deleted', async () => {
    const dns = await waitFor('the kube-dns Service', () =>
      client
        .services('kube-system')
        .get('kube-dns')
        .catch(() => undefined),
    );
    expect(dns.metadata.labels).toMatchObject({ 'k8s-app': 'kube-dns' });
    expect(dns.spec).toMatchObject({
      clusterIP: '10.100.0.10',
      selector: { 'k8s-app': 'kube-dns' },
      ports: [
        expect.objectContaining({ name: 'dns', protocol: 'UDP', port: 53 }),
        expect.objectContaining({ name: 'dns-tcp', protocol: 'TCP', port: 53 }),
      ],
    });
    await client.services('kube-system').delete('kube-dns');
    const back = await waitFor('kube-dns back', async () => {
      const s = await client
        .services('kube-system')
        .get('kube-dns')
        .catch(() => undefined);
      return s && s.metadata.uid !== dns.metadata.uid ? s : undefined;
    });
    expect(back.spec?.clusterIP).toBe('10.100.0.10');
  });

  it('renew their Leases', async () => {
    const before = (await client.leases('kube-system').get('kube-apiserver-m1')).spec!.renewTime!;
    await waitFor('a renewal', async () => {
      const now = (await client.leases('kube-system').get('kube-apiserver-m1')).spec!.renewTime!;
      return Date.parse(now) > Date.parse(before) ? true : undefined;
    });
  });

  it('make a deleted kubernetes Service again, on the same address', async () => {
    const old = await client.services('default').get('kubernetes');
    await client.services('default').delete('kubernetes');
    const back = await waitFor('the Service back', async () => {
      const s = await client
        .services('default')
        .get('kubernetes')
        .catch(() => undefined);
      return s && s.metadata.uid !== old.metadata.uid ? s : undefined;
    });
    expect(back.spec?.clusterIP).toBe('10.100.0.1');
  });

  it('make a deleted system namespace again', async () => {
    const old = await client.namespaces().get('kube-node-lease');
    await client.namespaces().delete('kube-node-lease');
    // No namespace controller runs here: finalize it by hand, as it would once empty.
    const terminating = await client.namespaces().get('kube-node-lease');
    await client.namespaces().finalize({ ...terminating, spec: { finalizers: [] } });
    await waitFor('kube-node-lease back', async () => {
      const ns = await client
        .namespaces()
        .get('kube-node-lease')
        .catch(() => undefined);
      return ns && ns.metadata.uid !== old.metadata.uid && !ns.metadata.deletionTimestamp
        ? ns
        : undefined;
    });
  });

  it('a master stopping gracefully deletes its Lease and leaves the endpoints at once', async () => {
    const outcome = await loops[2].leave();
    expect(outcome?.masters.map((m) => m.name).sort()).toEqual(['m1', 'm2']);
    expect(await listed()).toEqual(masters(1, 2));
    expect(await leaseNames()).toEqual(['kube-apiserver-m1', 'kube-apiserver-m2']);
    // The others keep it out.
    await new Promise((resolve) => setTimeout(resolve, 3 * REFRESH_MS));
    expect(await listed()).toEqual(masters(1, 2));
  });

  it('a master that dies stays listed until its Lease expires; then it is dropped and its Lease deleted', async () => {
    await loops[1].stop(); // no leave: as if killed
    const stoppedAt = Date.now();
    expect(await listed()).toEqual(masters(1, 2));
    await waitListed(masters(1), TTL_SECONDS * 1000 + 10_000);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(TTL_SECONDS * 1000 - 2 * REFRESH_MS);
    await waitFor('the expired Lease deleted', async () =>
      (await leaseNames()).join() === 'kube-apiserver-m1' ? true : undefined,
    );
  });

  it('a master that comes back is listed again', async () => {
    loops[1] = loopsFor(servers[1], 1);
    loops[1].start();
    await waitListed(masters(1, 2));
  });

  it('never list a master whose Lease has already expired, and delete that Lease', async () => {
    const stale: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: 'kube-apiserver-m9',
        namespace: 'kube-system',
        labels: {
          'apiserver.kubernetes.io/identity': 'kube-apiserver',
          'kubernetes.io/hostname': 'm9',
        },
        annotations: { [ADDRESS_ANNOTATION]: '127.0.0.9:6443' },
      },
      spec: {
        holderIdentity: 'm9_0',
        leaseDurationSeconds: TTL_SECONDS,
        renewTime: formatMicroTime(Date.now() - 60_000),
      },
    };
    await client.leases('kube-system').create(stale);
    await waitFor('the stale Lease deleted', async () =>
      (await leaseNames()).includes('kube-apiserver-m9') ? undefined : true,
    );
    expect(await listed()).toEqual(masters(1, 2));
  });
});
