import { Etcd3 } from 'etcd3';
import { MasterCluster } from './support/master-cluster';
import { waitFor } from './support/wait';

/**
 * Three real masters (processes, real disks, WebSockets between them) driven by Debian's
 * etcdctl 3.4 and by the npm etcd3 client, against any member.
 */
describe('replicated store over the etcd v3 API: three real masters', () => {
  let cluster: MasterCluster;

  beforeAll(async () => {
    cluster = await MasterCluster.start(3, ['--snapshot-count', '200']);
  }, 120_000);

  afterAll(async () => {
    await cluster?.shutdown();
  });

  it('etcdctl: put on one member, get, range and delete on the others', async () => {
    expect(
      (await cluster.etcdctl(['put', '/registry/pods/default/a', 'A'], cluster.endpoint('m1')))
        .code,
    ).toBe(0);
    await cluster.etcdctl(['put', '/registry/pods/default/b', 'B'], cluster.endpoint('m2'));
    const get = await cluster.etcdctl(
      ['get', '/registry/pods/default/a', '--print-value-only'],
      cluster.endpoint('m3'),
    );
    expect(get.stdout.trim()).toBe('A');
    const range = await cluster.etcdctl(
      ['get', '/registry/pods/', '--prefix', '--keys-only'],
      cluster.endpoint('m2'),
    );
    expect(range.stdout.split('\n').filter(Boolean)).toEqual([
      '/registry/pods/default/a',
      '/registry/pods/default/b',
    ]);
    const del = await cluster.etcdctl(['del', '/registry/pods/default/a'], cluster.endpoint('m3'));
    expect(del.stdout.trim()).toBe('1');
  });

  it('etcdctl: a transaction compares and swaps', async () => {
    await cluster.etcdctl(['put', 'cas', 'one']);
    const txn = await cluster.etcdctl(
      ['txn'],
      cluster.endpoint('m2'),
      'value("cas") = "one"\n\nput cas two\n\nput cas never\n\n',
    );
    expect(txn.stdout).toContain('SUCCESS');
    const v = await cluster.etcdctl(['get', 'cas', '--print-value-only'], cluster.endpoint('m3'));
    expect(v.stdout.trim()).toBe('two');
  });

  it('etcdctl: a key attached to a lease disappears on every member when the lease expires', async () => {
    const grant = await cluster.etcdctl(['lease', 'grant', '2'], cluster.endpoint('m3'));
    const id = /lease ([0-9a-f]+) granted/.exec(grant.stdout)?.[1];
    expect(id).toBeDefined();
    await cluster.etcdctl(['put', 'leased', 'x', `--lease=${id}`], cluster.endpoint('m1'));
    expect((await cluster.etcdctl(['get', 'leased', '--print-value-only'])).stdout.trim()).toBe(
      'x',
    );
    for (const name of cluster.names) {
      await waitFor(
        `lease expiry seen on ${name}`,
        async () =>
          (
            await cluster.etcdctl(
              ['get', 'leased', '--consistency=s', '--print-value-only'],
              cluster.endpoint(name),
            )
          ).stdout.trim() === ''
            ? true
            : undefined,
        15_000,
        200,
      );
    }
  });

  it('etcdctl: compaction, then reads below it fail with the compacted error', async () => {
    await cluster.etcdctl(['put', 'hist', '1']);
    const put = await cluster.etcdctl(['put', 'hist', '2', '-w', 'json']);
    const rev = Number(JSON.parse(put.stdout).header.revision);
    await cluster.etcdctl(['put', 'hist', '3']);
    expect(
      (await cluster.etcdctl(['get', 'hist', `--rev=${rev}`, '--print-value-only'])).stdout.trim(),
    ).toBe('2');
    expect(
      (await cluster.etcdctl(['compaction', String(rev + 1)], cluster.endpoint('m2'))).code,
    ).toBe(0);
    const old = await cluster.etcdctl(['get', 'hist', `--rev=${rev}`], cluster.endpoint('m3'));
    expect(old.code).not.toBe(0);
    expect(old.stderr).toContain('required revision has been compacted');
    const future = await cluster.etcdctl(['get', 'hist', '--rev=99999999']);
    expect(future.stderr).toContain('required revision is a future revision');
  });

  it('etcd3 client: watch on one member sees writes made through another', async () => {
    const watcherClient = new Etcd3({ hosts: `http://${cluster.endpoint('m3')}` });
    const writer = new Etcd3({ hosts: `http://${cluster.endpoint('m1')}` });
    try {
      const watcher = await watcherClient.watch().prefix('/watched/').create();
      const seen: string[] = [];
      watcher.on('put', (kv) => seen.push(`${kv.key.toString()}=${kv.value.toString()}`));
      for (let i = 0; i < 5; i++) await writer.put(`/watched/${i}`).value(`v${i}`);
      await waitFor('watch events', () => (seen.length === 5 ? true : undefined), 10_000);
      expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => `/watched/${i}=v${i}`));
      await watcher.cancel();
    } finally {
      watcherClient.close();
      writer.close();
    }
  });

  it('bad input gets etcd errors and the member keeps serving', async () => {
    const big = await cluster.etcdctl(['put', 'big', 'x'.repeat(2 * 1024 * 1024)]);
    expect(big.code).not.toBe(0);
    const lease = await cluster.etcdctl(['put', 'k', 'v', '--lease=1234abcd']);
    expect(lease.stderr).toContain('requested lease not found');
    expect((await cluster.etcdctl(['put', 'still', 'serving'])).code).toBe(0);
  });

  it('SIGKILL of the leader under writes: a new leader, and every acknowledged write survives on every member', async () => {
    const leader = await cluster.leader();
    const client = new Etcd3({
      hosts: cluster.names.filter((n) => n !== leader).map((n) => `http://${cluster.endpoint(n)}`),
    });
    const acked: string[] = [];
    let stop = false;
    const writer = (async () => {
      for (let i = 0; i < 2000 && !stop; i++) {
        try {
          await client.put(`/load/${i}`).value(String(i));
          acked.push(`/load/${i}`);
        } catch {
          // unavailable during the election: the write is not acknowledged
        }
      }
    })();
    await waitFor('some writes', () => (acked.length >= 50 ? true : undefined), 30_000);
    cluster.kill(leader);
    const before = acked.length;
    await waitFor(
      'writes after the kill',
      () => (acked.length >= before + 50 ? true : undefined),
      30_000,
    );
    stop = true;
    await writer;
    client.close();
    const newLeader = await cluster.leader();
    expect(newLeader).not.toBe(leader);

    // The killed member restarts from its disk and catches up (log or snapshot).
    cluster.startMember(leader);
    await cluster.waitReady(leader);
    const last = acked[acked.length - 1];
    for (const name of cluster.names) {
      await waitFor(
        `${name} caught up`,
        async () =>
          (
            await cluster.etcdctl(
              ['get', last, '--consistency=s', '--print-value-only'],
              cluster.endpoint(name),
            )
          ).stdout.trim() !== ''
            ? true
            : undefined,
        30_000,
        200,
      );
      const keys = await cluster.etcdctl(
        ['get', '/load/', '--prefix', '--keys-only', '--consistency=s'],
        cluster.endpoint(name),
      );
      const present = new Set(keys.stdout.split('\n').filter(Boolean));
      const missing = acked.filter((k) => !present.has(k));
      expect(missing).toEqual([]);
    }
  }, 180_000);

  it('a member whose data directory was wiped rejoins through a snapshot', async () => {
    const leader = await cluster.leader();
    const victim = cluster.names.find((n) => n !== leader)!;
    await cluster.stop(victim);
    cluster.wipe(victim);
    for (let i = 0; i < 300; i++)
      await cluster.etcdctl(['put', `/fill/${i % 20}`, String(i)], cluster.endpoint(leader));
    cluster.startMember(victim);
    await cluster.waitReady(victim);
    await waitFor(
      'the wiped member has the data',
      async () =>
        (
          await cluster.etcdctl(
            ['get', '/fill/19', '--consistency=s', '--print-value-only'],
            cluster.endpoint(victim),
          )
        ).stdout.trim() === '299'
          ? true
          : undefined,
      60_000,
      250,
    );
    const everything = async (name: string) =>
      (
        await cluster.etcdctl(
          ['get', '', '--from-key', '--consistency=s', '-w', 'json'],
          cluster.endpoint(name),
        )
      ).stdout;
    const kvs = (json: string) =>
      JSON.stringify((JSON.parse(json) as { kvs?: unknown[] }).kvs ?? []);
    await waitFor(
      'members converge',
      async () =>
        kvs(await everything(victim)) === kvs(await everything(leader)) ? true : undefined,
      30_000,
      250,
    );
  }, 180_000);
});
