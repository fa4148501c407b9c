// The npm etcd3 client against our server (LocalBackend over a real MvccStore).
import { Etcd3, IKeyValue } from 'etcd3';
import { Served, serve } from './harness';

describe('the etcd3 npm client against the etcd API', () => {
  let s: Served;
  let client: Etcd3;

  beforeAll(async () => {
    s = await serve();
    client = new Etcd3({ hosts: s.endpoint });
  });
  afterAll(async () => {
    client.close();
    await s.close();
  });

  it('puts, gets and deletes keys and prefixes', async () => {
    await client.put('/n/a').value('1');
    await client.put('/n/b').value('2');
    expect(await client.get('/n/a').string()).toBe('1');
    expect(await client.getAll().prefix('/n/').strings()).toEqual({ '/n/a': '1', '/n/b': '2' });
    expect(await client.getAll().prefix('/n/').count()).toBe(2);
    await client.delete().key('/n/a');
    expect(await client.get('/n/a').string()).toBeNull();
    await client.delete().prefix('/n/');
    expect(await client.getAll().prefix('/n/').keys()).toEqual([]);
  });

  it('answers many ranges in flight at once, each with its own keys and values', async () => {
    // Range responses are encoded into one shared buffer as grpc-js takes them: a response
    // must never carry another one's bytes.
    const sizes = [1, 40, 3, 120, 7];
    for (const [n, size] of sizes.entries()) {
      for (let i = 0; i < size; i++) {
        await client.put(`/many/${n}/${i}`).value(`${n}:${i}:${'v'.repeat(500 * n)}`);
      }
    }
    const reads = Array.from({ length: 60 }, (_, j) => j % sizes.length).map(async (n) => ({
      n,
      got: await client.getAll().prefix(`/many/${n}/`).strings(),
    }));
    for (const { n, got } of await Promise.all(reads)) {
      expect(Object.keys(got)).toHaveLength(sizes[n]);
      for (const [key, value] of Object.entries(got)) {
        const i = key.split('/')[3];
        expect(value).toBe(`${n}:${i}:${'v'.repeat(500 * n)}`);
      }
    }
  });

  it('watches a key and receives puts and deletes in order', async () => {
    const watcher = await client.watch().key('/watched').withPreviousKV().create();
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      watcher.on('put', (kv: IKeyValue) => seen.push(`put ${kv.value.toString()}`));
      watcher.on('delete', (kv: IKeyValue, prev?: IKeyValue) => {
        seen.push(`delete ${kv.key.toString()} (was ${prev?.value.toString()})`);
        resolve();
      });
    });
    await client.put('/watched').value('a');
    await client.put('/watched').value('b');
    await client.delete().key('/watched');
    await done;
    expect(seen).toEqual(['put a', 'put b', 'delete /watched (was b)']);
    await watcher.cancel();
  });

  it('grants a lease, attaches keys, keeps it alive and revokes it', async () => {
    const lease = client.lease(30, { autoKeepAlive: false });
    const id = await lease.grant();
    await lease.put('/leased').value('v');
    await lease.keepaliveOnce();
    const ttl = await client.leaseClient.leaseTimeToLive({ ID: id, keys: true });
    expect(Number(ttl.grantedTTL)).toBe(30);
    expect(ttl.keys.map((k) => k.toString())).toEqual(['/leased']);
    await lease.revoke();
    expect(await client.get('/leased').string()).toBeNull();
  });

  it('keeps a lease alive automatically past its TTL', async () => {
    const lease = client.lease(1);
    await lease.put('/kept').value('v');
    // Five keep-alive rounds (one every TTL/3) outlast the TTL; the key must still be there.
    for (let i = 0; i < 5; i++) await new Promise((r) => lease.once('keepaliveSucceeded', r));
    expect(await client.get('/kept').string()).toBe('v');
    await lease.revoke();
  });

  it('runs transactions with if / then / else and a compare on mod revision', async () => {
    await client.put('/t/k').value('x');
    const yes = await client
      .if('/t/k', 'Value', '==', 'x')
      .then(client.put('/t/out').value('then'))
      .else(client.put('/t/out').value('else'))
      .commit();
    expect(yes.succeeded).toBe(true);
    expect(await client.get('/t/out').string()).toBe('then');

    const rev = (await client.get('/t/k').exec()).kvs[0].mod_revision;
    const stale = await client
      .if('/t/k', 'Mod', '==', Number(rev) - 1)
      .then(client.put('/t/out').value('stale'))
      .else(client.get('/t/k'))
      .commit();
    expect(stale.succeeded).toBe(false);
    expect(stale.responses[0].response_range.kvs[0].value.toString()).toBe('x');
    const fresh = await client
      .if('/t/k', 'Mod', '==', Number(rev))
      .then(client.put('/t/k').value('y'))
      .commit();
    expect(fresh.succeeded).toBe(true);
    expect(await client.get('/t/k').string()).toBe('y');
  });
});
