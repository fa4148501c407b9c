import { LeaseGrantResponse, Lessor } from '../src';
import { Harness, b } from './helpers';

describe('MvccStore leases (replicated state)', () => {
  let h: Harness;
  beforeEach(async () => (h = await Harness.create()));
  afterEach(async () => h.dispose());

  it('grants, attaches, moves and revokes with its keys in one revision', async () => {
    const grant = await h.ok<LeaseGrantResponse>({
      type: 'leaseGrant',
      request: { id: 1, ttl: 5 },
    });
    expect([grant.id, grant.ttl, grant.header.revision]).toEqual([1, 5, 0]);
    await h.ok({ type: 'leaseGrant', request: { id: 2, ttl: 5 } });
    expect((await h.rejected({ type: 'leaseGrant', request: { id: 1, ttl: 9 } })).message).toBe(
      'etcdserver: lease already exists',
    );
    await h.put('a', '1', { lease: 1 });
    await h.put('b', '1', { lease: 1 });
    await h.put('c', '1', { lease: 1 });
    await h.put('c', '2', { lease: 2 }); // moves c to lease 2
    await h.put('b', '2'); // detaches b
    expect(h.store.leaseKeys(1).map(String)).toEqual(['a']);
    expect(h.store.leaseKeys(2).map(String)).toEqual(['c']);
    await h.put('z', '1', { lease: 2 });
    const before = h.store.revision;
    await h.ok({ type: 'leaseRevoke', request: { id: 2 } });
    expect(h.store.revision).toBe(before + 1);
    expect(await h.get('c')).toBeUndefined();
    expect(await h.get('z')).toBeUndefined();
    expect((await h.get('a'))?.lease).toBe(1);
    expect(h.store.leases().map((l) => l.id)).toEqual([1]);
    const missing = await h.rejected({ type: 'leaseRevoke', request: { id: 2 } });
    expect(missing.message).toBe('etcdserver: requested lease not found');
    const putMissing = await h.rejected({
      type: 'put',
      request: { key: b('x'), value: b('1'), lease: 2 },
    });
    expect(putMissing.message).toBe('etcdserver: requested lease not found');
  });

  it('revoking a lease without keys does not bump the revision', async () => {
    await h.ok({ type: 'leaseGrant', request: { id: 9, ttl: 5 } });
    await h.put('a', '1', { lease: 9 });
    await h.del('a');
    const rev = h.store.revision;
    await h.ok({ type: 'leaseRevoke', request: { id: 9 } });
    expect(h.store.revision).toBe(rev);
  });
});

describe('Lessor (leader-side expiry, fake clock)', () => {
  it('expires nothing until promoted, then gives every lease a full TTL from promotion', () => {
    const lessor = new Lessor({ revokeRetryMs: 10_000 });
    lessor.grant(1, 10, 0);
    lessor.grant(2, 5, 0);
    expect(lessor.expired(1_000_000, 10)).toEqual([]);
    lessor.promote(1_000_000);
    expect(lessor.expired(1_004_999, 10)).toEqual([]);
    expect(lessor.expired(1_005_000, 10)).toEqual([2]);
    expect(lessor.expired(1_010_000, 10)).toEqual([1]); // 2 is not reported again yet
    expect(lessor.expired(1_020_000, 10)).toEqual([2, 1]); // retried after revokeRetryMs
  });

  it('renews (KeepAlive) and reports time to live with attached keys', () => {
    const lessor = new Lessor({ keysOf: (id) => (id === 1 ? [Buffer.from('k')] : []) });
    lessor.promote(0);
    lessor.grant(1, 10, 0);
    expect(lessor.timeToLive(1, 2500)).toEqual({
      id: 1,
      ttl: 8,
      grantedTtl: 10,
      keys: [Buffer.from('k')],
    });
    expect(lessor.renew(1, 9000)).toBe(10);
    expect(lessor.expired(18_999, 5)).toEqual([]);
    expect(lessor.expired(19_000, 5)).toEqual([1]);
    expect(lessor.timeToLive(1, 19_000)?.ttl).toBe(-1);
    expect(() => lessor.renew(1, 19_000)).toThrow('etcdserver: requested lease not found');
    expect(() => lessor.renew(7, 0)).toThrow('etcdserver: requested lease not found');
    lessor.revoke(1);
    expect(lessor.timeToLive(1, 19_000)).toBeUndefined();
  });

  it('stops expiring on demotion, limits each batch and syncs with the replicated table', () => {
    const lessor = new Lessor();
    lessor.promote(0);
    for (let id = 1; id <= 5; id++) lessor.grant(id, 1, 0);
    expect(lessor.expired(1000, 2)).toEqual([1, 2]);
    lessor.demote();
    expect(lessor.expired(5000, 10)).toEqual([]);
    expect(() => lessor.renew(3, 5000)).toThrow('etcdserver: not leader');
    lessor.sync(
      [
        { id: 3, ttl: 1 },
        { id: 8, ttl: 30, remainingTtl: 4 },
      ],
      5000,
    );
    lessor.promote(6000);
    expect(lessor.timeToLive(8, 6000)?.ttl).toBe(30);
    expect(lessor.expired(7000, 10)).toEqual([3]);
    expect(lessor.checkpoints(7000)).toEqual([{ id: 8, remainingTtl: 29 }]);
  });
});
