import { spawnSync } from 'node:child_process';
import { connect, Endpoints, KubeClient } from '@flotilla/client';
import { MasterCluster } from './support/master-cluster';
import { waitFor } from './support/wait';

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

/** Short lease timing, so a killed master's departure takes seconds, not the default 15. */
const TTL_SECONDS = 4;
const REFRESH_MS = 500;

describe('the kubernetes Service endpoints follow the masters’ kube-apiserver Leases', () => {
  let cluster: MasterCluster;
  let m1: KubeClient;

  beforeAll(async () => {
    cluster = await MasterCluster.start(3, [
      '--master-lease-ttl',
      String(TTL_SECONDS),
      '--master-lease-refresh',
      String(REFRESH_MS),
    ]);
    m1 = connect([`http://127.0.0.1:${cluster.ports.get('m1')!.api}`], { rateLimit: false }).client;
    await cluster.waitForApi();
  }, 120_000);

  afterAll(async () => {
    m1?.close();
    await cluster?.shutdown();
  });

  /** name=ip:port per address in Endpoints default/kubernetes, checked against the slices. */
  const listed = async (): Promise<string[] | undefined> => {
    const ep = await m1
      .forResource<Endpoints>('endpoints', '', 'default')
      .get('kubernetes')
      .catch(() => undefined);
    const slices = await m1
      .endpointSlices('default')
      .list({ labelSelector: 'kubernetes.io/service-name=kubernetes' })
      .catch(() => undefined);
    if (!ep || !slices) return undefined;
    const fromEndpoints = (ep.subsets ?? [])
      .flatMap((s) => (s.addresses ?? []).map((a) => `${a.hostname}=${a.ip}:${s.ports![0].port}`))
      .sort();
    const fromSlices = slices.items
      .flatMap((s) =>
        (s.endpoints ?? []).map((e) => `${e.hostname}=${e.addresses[0]}:${s.ports![0].port}`),
      )
      .sort();
    // The two views are written one after the other; a probe may fall between them.
    return JSON.stringify(fromEndpoints) === JSON.stringify(fromSlices) ? fromEndpoints : undefined;
  };

  const expected = (...names: string[]) =>
    names.map((n) => `${n}=127.0.0.1:${cluster.ports.get(n)!.api}`).sort();

  const waitListed = (names: string[], timeoutMs: number) =>
    waitFor(
      `the endpoints to list exactly ${names.join(', ')}`,
      async () => {
        const now = await listed();
        return JSON.stringify(now) === JSON.stringify(expected(...names)) ? now : undefined;
      },
      timeoutMs,
      100,
    );

  /** The masters' kube-apiserver Leases in kube-system, by name. */
  const leaseNames = async () =>
    (
      await m1
        .leases('kube-system')
        .list({ labelSelector: 'apiserver.kubernetes.io/identity=kube-apiserver' })
    ).items
      .map((l) => l.metadata.name)
      .sort();

  it('lists the three masters, each holding a kube-apiserver Lease', async () => {
    await waitListed(['m1', 'm2', 'm3'], 30_000);
    expect(await leaseNames()).toEqual(cluster.names.map((n) => `kube-apiserver-${n}`).sort());
    const lease = await m1.leases('kube-system').get('kube-apiserver-m2');
    expect(lease.spec?.leaseDurationSeconds).toBe(TTL_SECONDS);
    expect(lease.spec?.holderIdentity).toMatch(/^m2_/);
    expect(lease.metadata.annotations?.['flotilla.io/apiserver-address']).toBe(
      `127.0.0.1:${cluster.ports.get('m2')!.api}`,
    );
    // Nothing is kept beside the API any more: no keys under /registry/masterleases/.
    const keys = await cluster.etcdctl([
      'get',
      '--prefix',
      '--keys-only',
      '/registry/masterleases/',
    ]);
    expect(keys.code).toBe(0);
    expect(keys.stdout.trim()).toBe('');
  });

  it('makes a deleted kubernetes Service again, on the same ClusterIP', async () => {
    const before = await m1.services('default').get('kubernetes');
    await m1.services('default').delete('kubernetes');
    const back = await waitFor(
      'the kubernetes Service back',
      async () => {
        const s = await m1
          .services('default')
          .get('kubernetes')
          .catch(() => undefined);
        return s && s.metadata.uid !== before.metadata.uid ? s : undefined;
      },
      15_000,
      100,
    );
    expect(back.spec?.clusterIP).toBe(before.spec?.clusterIP);
  }, 30_000);

  it('a master stopped gracefully leaves at once, not after the lease TTL', async () => {
    await cluster.stop('m3');
    const stoppedAt = Date.now();
    await waitListed(['m1', 'm2'], 2_000);
    expect(Date.now() - stoppedAt).toBeLessThan(TTL_SECONDS * 1000);
    expect(await leaseNames()).toEqual(['kube-apiserver-m1', 'kube-apiserver-m2']);
    if (hasKubectl) {
      const r = await cluster.kubectl(['get', 'endpoints', 'kubernetes', '-n', 'default']);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain(`:${cluster.ports.get('m3')!.api}`);
      expect(r.stdout).toContain(`:${cluster.ports.get('m1')!.api}`);
    }
  }, 30_000);

  it('comes back when it starts again', async () => {
    cluster.startMember('m3');
    await cluster.waitReady('m3');
    await waitListed(['m1', 'm2', 'm3'], 20_000);
  }, 90_000);

  it('a killed master stays until its lease lapses, then leaves; the others stay', async () => {
    cluster.kill('m3');
    const killedAt = Date.now();
    // Renewed at most REFRESH_MS ago: still listed for a while.
    expect(await listed()).toEqual(expected('m1', 'm2', 'm3'));
    await waitListed(['m1', 'm2'], TTL_SECONDS * 1000 + 15_000);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual((TTL_SECONDS - 1) * 1000);
    // And it stays out: the survivors keep rewriting the endpoints from the live leases.
    await new Promise((resolve) => setTimeout(resolve, 3 * REFRESH_MS));
    expect(await listed()).toEqual(expected('m1', 'm2'));
    // Its Lease, left behind, is deleted by a survivor once expired.
    await waitFor(
      "the killed master's Lease deleted",
      async () =>
        (await leaseNames()).join() === 'kube-apiserver-m1,kube-apiserver-m2' ? true : undefined,
      10_000,
      100,
    );
  }, 60_000);
});
