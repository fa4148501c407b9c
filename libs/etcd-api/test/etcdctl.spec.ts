// The real etcdctl 3.4 against our server (LocalBackend over a real MvccStore).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSnapshotFile } from '../src';
import { ETCDCTL, Served, etcdctl, serve, spawnEtcdctl } from './harness';

const describeIfEtcdctl = existsSync(ETCDCTL) ? describe : describe.skip;

describeIfEtcdctl('etcdctl 3.4 against the etcd API', () => {
  let s: Served;
  const run = (...args: string[]) => etcdctl(s.endpoint, args);

  beforeAll(async () => {
    s = await serve();
  });
  afterAll(async () => {
    await s.close();
  });

  it('puts and gets keys, by prefix, at a revision, as JSON, with limits', async () => {
    expect((await run('put', '/app/a', 'one')).stdout).toBe('OK\n');
    await run('put', '/app/b', 'two');
    await run('put', '/app/a', 'uno');

    expect((await run('get', '/app/a')).stdout).toBe('/app/a\nuno\n');
    expect((await run('get', '/app/', '--prefix')).stdout).toBe('/app/a\nuno\n/app/b\ntwo\n');
    expect((await run('get', '/app/', '--prefix', '--keys-only')).stdout).toBe(
      '/app/a\n\n/app/b\n\n',
    );
    expect((await run('get', '/app/', '--prefix', '--limit', '1')).stdout).toBe('/app/a\nuno\n');
    const first = (await run('get', '/app/a', '-w', 'json', '--rev', '1')).stdout;
    const json = JSON.parse(first);
    expect(Buffer.from(json.kvs[0].value, 'base64').toString()).toBe('one');
    expect(json.header.revision).toBe(3);
    expect(BigInt(json.header.member_id)).toBeGreaterThan(2n ** 53n);

    const limited = JSON.parse(
      (await run('get', '/app/', '--prefix', '--limit', '1', '-w', 'json')).stdout,
    );
    expect(limited.count).toBe(2);
    expect(limited.more).toBe(true);
  });

  it('deletes keys and ranges', async () => {
    await run('put', '/del/a', '1');
    await run('put', '/del/b', '2');
    expect((await run('del', '/del/a')).stdout).toBe('1\n');
    expect((await run('del', '/del/', '--prefix')).stdout).toBe('1\n');
    expect((await run('get', '/del/', '--prefix')).stdout).toBe('');
  });

  it('runs a txn read from stdin, taking the branch the compare picks', async () => {
    await run('put', '/txn/flag', 'on');
    const script = 'value("/txn/flag") = "on"\n\nput /txn/result yes\n\nput /txn/result no\n\n';
    const res = await etcdctl(s.endpoint, ['txn'], script);
    expect(res.stdout).toBe('SUCCESS\n\nOK\n');
    expect((await run('get', '/txn/result', '--print-value-only')).stdout).toBe('yes\n');

    const failing = 'value("/txn/flag") = "off"\n\nput /txn/result yes\n\nput /txn/result no\n\n';
    expect((await etcdctl(s.endpoint, ['txn'], failing)).stdout).toBe('FAILURE\n\nOK\n');
    expect((await run('get', '/txn/result', '--print-value-only')).stdout).toBe('no\n');
  });

  it('watches a prefix and prints puts and deletes', async () => {
    const watch = spawnEtcdctl(s.endpoint, ['watch', '/w/', '--prefix']);
    try {
      // The watch is registered once etcdctl got its `created` response; retry the put until seen.
      for (let i = 0; i < 50 && !watch.stdout.includes('/w/k'); i++) {
        await run('put', '/w/k', `v${i}`);
        await watch.waitFor('/w/k', 200).catch(() => undefined);
      }
      await run('del', '/w/k');
      await watch.waitFor('DELETE\n/w/k\n');
      expect(watch.stdout).toMatch(/^PUT\n\/w\/k\nv\d+\n/);
    } finally {
      await watch.stop();
    }
  });

  it('grants, keeps alive, inspects, lists and revokes leases; keys go with them', async () => {
    const granted = await run('lease', 'grant', '60');
    const id = /lease ([0-9a-f]+) granted with TTL\(60s\)/.exec(granted.stdout)?.[1];
    expect(id).toBeDefined();
    expect((await run('put', '--lease', id!, '/lease/k', 'v')).stdout).toBe('OK\n');
    expect((await run('lease', 'keep-alive', '--once', id!)).stdout).toBe(
      `lease ${id} keepalived with TTL(60)\n`,
    );
    expect((await run('lease', 'timetolive', id!, '--keys')).stdout).toMatch(
      new RegExp(
        `lease ${id} granted with TTL\\(60s\\), remaining\\(\\d+s\\), attached keys\\(\\[/lease/k\\]\\)`,
      ),
    );
    expect((await run('lease', 'list')).stdout).toContain(id!);
    expect((await run('lease', 'revoke', id!)).stdout).toBe(`lease ${id} revoked\n`);
    expect((await run('get', '/lease/k')).stdout).toBe('');
    expect((await run('lease', 'timetolive', id!)).stdout).toBe(`lease ${id} already expired\n`);
    const unknown = await run('lease', 'keep-alive', '--once', '1234');
    expect(unknown.stderr).toContain('requested lease not found');
  });

  it('expires a lease that is not kept alive, deleting its keys', async () => {
    const id = /lease ([0-9a-f]+) granted/.exec((await run('lease', 'grant', '1')).stdout)?.[1];
    await run('put', '--lease', id!, '/expiring', 'v');
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      gone = (await run('get', '/expiring')).stdout === '';
      if (!gone) await new Promise((r) => setTimeout(r, 100));
    }
    expect(gone).toBe(true);
  });

  it('compacts, then refuses reads below the compacted revision', async () => {
    await run('put', '/c', '1');
    const rev = JSON.parse((await run('put', '/c', '2', '-w', 'json')).stdout).header.revision;
    expect((await run('compaction', String(rev))).stdout).toBe(`compacted revision ${rev}\n`);
    const below = await run('get', '/c', '--rev', String(rev - 1));
    expect(below.code).not.toBe(0);
    expect(below.stderr).toContain('Error: etcdserver: mvcc: required revision has been compacted');
    const future = await run('get', '/c', '--rev', String(rev + 1000));
    expect(future.stderr).toContain(
      'Error: etcdserver: mvcc: required revision is a future revision',
    );
  });

  it('reports members, status and health', async () => {
    await run('put', '/status', 'x');
    expect((await run('member', 'list')).stdout).toBe(
      `fedcba9876543210, started, m1, http://127.0.0.1:2380, http://${s.endpoint}, false\n`,
    );
    const statusJson = (await run('endpoint', 'status', '-w', 'json')).stdout;
    // Compared as text: the IDs are uint64 above 2^53, which JSON.parse would round.
    expect(statusJson).toContain('"member_id":18364758544493064720');
    expect(statusJson).toContain('"leader":18364758544493064720');
    expect(JSON.parse(statusJson)[0].Status.version).toBe('3.4.0');
    expect(JSON.parse(statusJson)[0].Status.raftAppliedIndex).toBeGreaterThan(0);
    const health = await run('endpoint', 'health');
    expect(health.stdout + health.stderr).toContain(`${s.endpoint} is healthy`);
    expect((await run('alarm', 'list')).stdout).toBe('');
    expect((await run('defrag')).stdout).toContain('Finished defragmenting');
  });

  it('saves a snapshot etcdctl accepts, holding the backend snapshot byte for byte', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-etcdctl-snap-'));
    try {
      const file = join(dir, 'snap.db');
      const res = await run('snapshot', 'save', file);
      expect(res.stdout).toContain(`Snapshot saved at ${file}`);
      const body = readSnapshotFile(await readFile(file));
      const chunks: Uint8Array[] = [];
      for await (const c of s.backend.snapshot()) chunks.push(c);
      expect(body.equals(Buffer.concat(chunks))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
