import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBackend } from '../storage/local-backend';
import type { MasterAddress } from './kubernetes-service';
import { decodeMasterLease, encodeMasterLease, masterLeaseKey } from './master-lease';
import { MasterLeaseKeeper } from './master-lease-keeper';

const m = (name: string, ip: string, port = 6443): MasterAddress => ({ name, ip, port });

describe('master lease keys and values', () => {
  it('one key per ip:port, so masters sharing an address do not collide', () => {
    expect(masterLeaseKey(m('m1', '127.0.0.1', 6443))).toBe(
      '/registry/masterleases/127.0.0.1:6443',
    );
    expect(masterLeaseKey(m('m2', '127.0.0.1', 6444))).not.toBe(
      masterLeaseKey(m('m1', '127.0.0.1', 6443)),
    );
  });

  it('the value is the master address, read back; anything else is ignored', () => {
    const self = m('m1', '10.0.0.1', 6443);
    expect(JSON.parse(encodeMasterLease(self).toString())).toEqual(self);
    expect(decodeMasterLease(encodeMasterLease(self))).toEqual(self);
    for (const bad of [
      'not json',
      '[]',
      '{"name":"m1","ip":"10.0.0.1"}',
      '{"name":"m1","ip":"10.0.0.1","port":70000}',
      '{"name":"m1","ip":"fd00::1","port":6443}',
      '{"name":1,"ip":"10.0.0.1","port":6443}',
    ]) {
      expect(decodeMasterLease(Buffer.from(bad))).toBeUndefined();
    }
  });
});

describe('MasterLeaseKeeper over a local store', () => {
  let dir: string;
  let kv: LocalBackend;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-master-leases-'));
    kv = await LocalBackend.open(dir);
  });
  afterEach(async () => {
    await kv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const stored = async (self: MasterAddress) =>
    (await kv.range({ key: Buffer.from(masterLeaseKey(self)) })).kvs[0];

  it('writes the key on a lease with the TTL, and does not write it again while it is so', async () => {
    const a = new MasterLeaseKeeper(kv, 7);
    await a.refresh(m('m1', '127.0.0.1', 6443));
    const first = await stored(m('m1', '127.0.0.1', 6443));
    expect(first.lease).toBeGreaterThan(0);
    expect(kv.store.lease(first.lease)?.ttl).toBe(7);
    await a.refresh(m('m1', '127.0.0.1', 6443));
    expect((await stored(m('m1', '127.0.0.1', 6443))).modRevision).toBe(first.modRevision);
  });

  it('lists every live master; a revoked or released one is gone', async () => {
    const a = new MasterLeaseKeeper(kv);
    const b = new MasterLeaseKeeper(kv);
    await a.refresh(m('m1', '127.0.0.1', 6443));
    await b.refresh(m('m2', '127.0.0.1', 6444));
    expect(await a.live()).toEqual([m('m1', '127.0.0.1', 6443), m('m2', '127.0.0.1', 6444)]);
    await b.release();
    await b.release(); // twice is harmless
    expect(await a.live()).toEqual([m('m1', '127.0.0.1', 6443)]);
  });

  it('takes a new lease when its own lapsed, and puts the key back on it', async () => {
    const a = new MasterLeaseKeeper(kv);
    await a.refresh(m('m1', '127.0.0.1', 6443));
    const before = await stored(m('m1', '127.0.0.1', 6443));
    await kv.leaseRevoke(before.lease); // the TTL ran out (e.g. a long partition)
    expect(await a.live()).toEqual([]);
    await a.refresh(m('m1', '127.0.0.1', 6443));
    const after = await stored(m('m1', '127.0.0.1', 6443));
    expect(after.lease).not.toBe(before.lease);
    expect(await a.live()).toEqual([m('m1', '127.0.0.1', 6443)]);
  });

  it('moves its key when its address changes, and takes over a predecessor on its address', async () => {
    const old = new MasterLeaseKeeper(kv);
    await old.refresh(m('m1', '10.0.0.9'));
    const a = new MasterLeaseKeeper(kv);
    await a.refresh(m('m1', '10.0.0.1'));
    await a.refresh(m('m1', '10.0.0.2'));
    // the predecessor's key stays until its own lease lapses; this keeper's old key is gone
    expect(await a.live()).toEqual([m('m1', '10.0.0.2'), m('m1', '10.0.0.9')]);
    await a.refresh(m('m4', '10.0.0.9'));
    const taken = await stored(m('m4', '10.0.0.9'));
    expect(decodeMasterLease(taken.value)).toEqual(m('m4', '10.0.0.9'));
    expect(await a.live()).toEqual([m('m4', '10.0.0.9')]);
  });
});
