import {
  CompareResult,
  CompareTarget,
  DeleteRangeResponse,
  MSG_COMPACTED,
  MSG_FUTURE_REV,
  PutResponse,
  RangeResponse,
  SortOrder,
  SortTarget,
  TxnResponse,
  prefixEnd,
} from '../src';
import { Harness, b, countVersionsOnDisk } from './helpers';

describe('MvccStore revisions and versions (etcd semantics)', () => {
  let h: Harness;
  beforeEach(async () => (h = await Harness.create()));
  afterEach(async () => h.dispose());

  it('follows the documented revision/version table', async () => {
    // step, then: store revision, and key "a" as [create, mod, version] (null = absent)
    const steps: Array<[string, () => Promise<unknown>, number, [number, number, number] | null]> =
      [
        ['put a', () => h.put('a', '1'), 1, [1, 1, 1]],
        ['put b', () => h.put('b', '1'), 2, [1, 1, 1]],
        ['put a with the same value still bumps', () => h.put('a', '1'), 3, [1, 3, 2]],
        ['delete a', () => h.del('a'), 4, null],
        ['delete of nothing does not bump', () => h.del('a'), 4, null],
        ['recreate a: new generation', () => h.put('a', '2'), 5, [5, 5, 1]],
        [
          'read-only txn does not bump',
          () => h.ok({ type: 'txn', request: { success: [{ requestRange: { key: b('a') } }] } }),
          5,
          [5, 5, 1],
        ],
        ['empty txn does not bump', () => h.ok({ type: 'txn', request: {} }), 5, [5, 5, 1]],
        ['put a again', () => h.put('a', '3'), 6, [5, 6, 2]],
      ];
    for (const [name, run, revision, a] of steps) {
      await run();
      expect({ name, revision: h.store.revision }).toEqual({ name, revision });
      const kv = await h.get('a');
      expect({ name, a: kv ? [kv.createRevision, kv.modRevision, kv.version] : null }).toEqual({
        name,
        a,
      });
    }
  });

  it('gives one revision to all writes of a txn', async () => {
    await h.put('x', '0');
    const resp = await h.ok<TxnResponse>({
      type: 'txn',
      request: {
        success: [
          { requestPut: { key: b('c'), value: b('1') } },
          { requestPut: { key: b('d'), value: b('1') } },
          { requestDeleteRange: { key: b('x') } },
        ],
      },
    });
    expect(resp.header.revision).toBe(2);
    expect(h.store.revision).toBe(2);
    expect((await h.get('c'))?.modRevision).toBe(2);
    expect((await h.get('d'))?.modRevision).toBe(2);
    expect(await h.get('x')).toBeUndefined();
  });

  it('reads past revisions', async () => {
    await h.put('k', 'v1');
    await h.put('k', 'v2');
    await h.del('k');
    await h.put('k', 'v3');
    expect((await h.get('k', 1))?.value.toString()).toBe('v1');
    expect((await h.get('k', 2))?.value.toString()).toBe('v2');
    expect(await h.get('k', 3)).toBeUndefined();
    expect((await h.get('k', 4))?.value.toString()).toBe('v3');
    const r = await h.store.range({ key: b('k'), revision: 1 });
    expect(r.header.revision).toBe(4);
  });

  it('returns prev_kv on put and delete', async () => {
    await h.put('k', 'v1');
    const put = await h.put('k', 'v2', { prevKv: true });
    expect(put.prevKv?.value.toString()).toBe('v1');
    expect(put.header.revision).toBe(2);
    const del = await h.del('k');
    expect(del.deleted).toBe(1);
    expect(del.prevKvs.map((kv) => kv.value.toString())).toEqual(['v2']);
    expect(del.header.revision).toBe(3);
  });

  it('is binary safe', async () => {
    const key = Buffer.from([0x00, 0xff, 0x80, 0x01]);
    const value = Buffer.from([0xff, 0x00, 0xfe]);
    await h.ok({ type: 'put', request: { key, value } });
    const r = await h.store.range({ key });
    expect(r.kvs[0].key.equals(key)).toBe(true);
    expect(r.kvs[0].value.equals(value)).toBe(true);
  });

  it('honours ignore_value and ignore_lease', async () => {
    await h.ok({ type: 'leaseGrant', request: { id: 7, ttl: 10 } });
    await h.put('k', 'v1', { lease: 7 });
    await h.ok({ type: 'put', request: { key: b('k'), ignoreValue: true, ignoreLease: true } });
    const kv = await h.get('k');
    expect([kv?.value.toString(), kv?.lease, kv?.version]).toEqual(['v1', 7, 2]);
    const err = await h.rejected({ type: 'put', request: { key: b('nope'), ignoreValue: true } });
    expect(err.message).toBe('etcdserver: key not found');
  });
});

describe('MvccStore range', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.create();
    for (const [k, v] of [
      ['a', 'z'],
      ['b/1', 'y'],
      ['b/2', 'x'],
      ['b/3', 'w'],
      ['c', 'v'],
    ]) {
      await h.put(k, v);
    }
    await h.put('b/1', 'u'); // b/1: create 2, mod 6, version 2
  });
  afterAll(async () => h.dispose());

  const keys = (r: RangeResponse) => r.kvs.map((kv) => kv.key.toString());

  it('handles single key, prefix and "\\0" range ends', async () => {
    expect(keys(await h.store.range({ key: b('b/2') }))).toEqual(['b/2']);
    expect(keys(await h.store.range({ key: b('b/'), rangeEnd: prefixEnd(b('b/')) }))).toEqual([
      'b/1',
      'b/2',
      'b/3',
    ]);
    expect(keys(await h.store.range({ key: b('b/2'), rangeEnd: Buffer.from([0]) }))).toEqual([
      'b/2',
      'b/3',
      'c',
    ]);
    expect(keys(await h.store.range({ key: b('zz') }))).toEqual([]);
  });

  it('limits with more and a full count', async () => {
    const r = await h.store.range({ key: b('a'), rangeEnd: Buffer.from([0]), limit: 2 });
    expect([keys(r), r.more, r.count]).toEqual([['a', 'b/1'], true, 5]);
    const all = await h.store.range({ key: b('a'), rangeEnd: Buffer.from([0]), limit: 5 });
    expect([all.more, all.count]).toEqual([false, 5]);
  });

  it('sorts by each target', async () => {
    const all = { key: b('a'), rangeEnd: Buffer.from([0]) };
    const cases: Array<[SortTarget, SortOrder, string[]]> = [
      [SortTarget.KEY, SortOrder.DESCEND, ['c', 'b/3', 'b/2', 'b/1', 'a']],
      [SortTarget.VALUE, SortOrder.ASCEND, ['b/1', 'c', 'b/3', 'b/2', 'a']],
      [SortTarget.MOD, SortOrder.DESCEND, ['b/1', 'c', 'b/3', 'b/2', 'a']],
      [SortTarget.VERSION, SortOrder.DESCEND, ['b/1', 'a', 'b/2', 'b/3', 'c']],
      // NONE with a non-key target means ascending, as in etcd.
      [SortTarget.CREATE, SortOrder.NONE, ['a', 'b/1', 'b/2', 'b/3', 'c']],
    ];
    for (const [sortTarget, sortOrder, expected] of cases) {
      const r = await h.store.range({ ...all, sortTarget, sortOrder });
      expect({ sortTarget, sortOrder, keys: keys(r) }).toEqual({
        sortTarget,
        sortOrder,
        keys: expected,
      });
    }
    const limited = await h.store.range({
      ...all,
      sortTarget: SortTarget.VALUE,
      sortOrder: SortOrder.DESCEND,
      limit: 1,
    });
    expect([keys(limited), limited.more]).toEqual([['a'], true]);
  });

  it('supports keys_only, count_only and min/max revision filters', async () => {
    const all = { key: b('a'), rangeEnd: Buffer.from([0]) };
    const ko = await h.store.range({ ...all, keysOnly: true });
    expect(ko.kvs.every((kv) => kv.value.length === 0)).toBe(true);
    const co = await h.store.range({ ...all, countOnly: true });
    expect([co.kvs.length, co.count]).toEqual([0, 5]);
    const mod = await h.store.range({ ...all, minModRevision: 4 });
    expect([keys(mod), mod.count]).toEqual([['b/1', 'b/3', 'c'], 5]);
    const created = await h.store.range({ ...all, maxCreateRevision: 2 });
    expect(keys(created)).toEqual(['a', 'b/1']);
  });

  it('counts past a page only the keys alive at the read revision', async () => {
    const g = await Harness.create();
    try {
      for (const k of ['p/1', 'p/2', 'p/3', 'p/4', 'p/5']) await g.put(k, 'v'); // revs 1..5
      await g.ok({ type: 'deleteRange', request: { key: b('p/3'), rangeEnd: b('p/5') } }); // rev 6
      const page = { key: b('p/'), rangeEnd: b('p0'), limit: 1 };
      const now = await g.store.range(page);
      expect([keys(now), now.more, now.count]).toEqual([['p/1'], true, 3]);
      const before = await g.store.range({ ...page, revision: 5 });
      expect([keys(before), before.more, before.count]).toEqual([['p/1'], true, 5]);
      const early = await g.store.range({ ...page, revision: 2 });
      expect([keys(early), early.more, early.count]).toEqual([['p/1'], true, 2]);
      const countOnly = await g.store.range({ ...page, countOnly: true, revision: 4 });
      expect(countOnly.count).toBe(4);
      // The same page inside a txn (its own apply path).
      const txn = await g.ok<TxnResponse>({
        type: 'txn',
        request: { success: [{ requestRange: page }] },
      });
      const inTxn = (txn.responses[0] as { responseRange: RangeResponse }).responseRange;
      expect([keys(inTxn), inTxn.more, inTxn.count]).toEqual([['p/1'], true, 3]);
    } finally {
      await g.dispose();
    }
  });

  it('rejects future revisions', async () => {
    await expect(h.store.range({ key: b('a'), revision: 100 })).rejects.toMatchObject({
      code: 'future-revision',
      message: MSG_FUTURE_REV,
    });
  });
});

describe('MvccStore txn', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await Harness.create({ maxTxnOps: 4 });
    await h.ok({ type: 'leaseGrant', request: { id: 5, ttl: 60 } });
    await h.put('k', 'v1', { lease: 5 }); // rev 1
    await h.put('k', 'v2', { lease: 5 }); // rev 2: create 1, mod 2, version 2
  });
  afterEach(async () => h.dispose());

  const cmp = (
    target: CompareTarget,
    result: CompareResult,
    operand: Record<string, unknown>,
    key = 'k',
  ) => ({ target, result, key: b(key), ...operand });

  it('evaluates compares on every target', async () => {
    const cases: Array<[ReturnType<typeof cmp>, boolean]> = [
      [cmp(CompareTarget.VALUE, CompareResult.EQUAL, { value: b('v2') }), true],
      [cmp(CompareTarget.VALUE, CompareResult.GREATER, { value: b('v1') }), true],
      [cmp(CompareTarget.VALUE, CompareResult.LESS, { value: b('v1') }), false],
      [cmp(CompareTarget.VERSION, CompareResult.EQUAL, { version: 2 }), true],
      [cmp(CompareTarget.CREATE, CompareResult.EQUAL, { createRevision: 1 }), true],
      [cmp(CompareTarget.MOD, CompareResult.NOT_EQUAL, { modRevision: 2 }), false],
      [cmp(CompareTarget.MOD, CompareResult.LESS, { modRevision: 3 }), true],
      [cmp(CompareTarget.LEASE, CompareResult.EQUAL, { lease: 5 }), true],
      // A missing key has version/create/mod 0, and a value compare on it always fails.
      [cmp(CompareTarget.VERSION, CompareResult.EQUAL, { version: 0 }, 'missing'), true],
      [cmp(CompareTarget.CREATE, CompareResult.EQUAL, { createRevision: 0 }, 'missing'), true],
      [cmp(CompareTarget.VALUE, CompareResult.NOT_EQUAL, { value: b('x') }, 'missing'), false],
    ];
    for (const [compare, expected] of cases) {
      const r = await h.ok<TxnResponse>({ type: 'txn', request: { compare: [compare] } });
      expect({ compare, succeeded: r.succeeded }).toEqual({ compare, succeeded: expected });
    }
  });

  it('runs the success or failure branch, with ranges seeing the txn writes', async () => {
    const request = (expectedMod: number) => ({
      compare: [cmp(CompareTarget.MOD, CompareResult.EQUAL, { modRevision: expectedMod })],
      success: [
        { requestPut: { key: b('k'), value: b('new') } },
        { requestRange: { key: b('k') } },
      ],
      failure: [{ requestRange: { key: b('k') } }],
    });
    const ok = await h.ok<TxnResponse>({ type: 'txn', request: request(2) });
    expect(ok.succeeded).toBe(true);
    expect(ok.header.revision).toBe(3);
    const seen = (ok.responses[1] as { responseRange: RangeResponse }).responseRange.kvs[0];
    expect([seen.value.toString(), seen.modRevision]).toEqual(['new', 3]);
    const conflict = await h.ok<TxnResponse>({ type: 'txn', request: request(2) });
    expect(conflict.succeeded).toBe(false);
    expect(h.store.revision).toBe(3);
    const read = (conflict.responses[0] as { responseRange: RangeResponse }).responseRange;
    expect(read.kvs[0].value.toString()).toBe('new');
  });

  it('runs nested txns, with compares evaluated before any write', async () => {
    const r = await h.ok<TxnResponse>({
      type: 'txn',
      request: {
        success: [
          { requestPut: { key: b('a'), value: b('1') } },
          {
            requestTxn: {
              // Still sees the state before the outer txn: "a" does not exist yet.
              compare: [cmp(CompareTarget.VERSION, CompareResult.EQUAL, { version: 0 }, 'a')],
              success: [{ requestPut: { key: b('b'), value: b('2') } }],
              failure: [{ requestPut: { key: b('c'), value: b('3') } }],
            },
          },
        ],
      },
    });
    const nested = (r.responses[1] as { responseTxn: TxnResponse }).responseTxn;
    expect([nested.succeeded, nested.header.revision]).toEqual([true, 3]);
    expect((await h.get('b'))?.modRevision).toBe(3);
    expect(await h.get('c')).toBeUndefined();
  });

  it('rejects duplicate keys in a branch and too many operations', async () => {
    const put = (k: string) => ({ requestPut: { key: b(k), value: b('x') } });
    const dup = await h.rejected({ type: 'txn', request: { success: [put('a'), put('a')] } });
    expect(dup.message).toBe('etcdserver: duplicate key given in txn request');
    const inDelete = await h.rejected({
      type: 'txn',
      request: { success: [{ requestDeleteRange: { key: b('a'), rangeEnd: b('c') } }, put('b')] },
    });
    expect(inDelete.code).toBe('duplicate-key');
    const nestedDup = await h.rejected({
      type: 'txn',
      request: { success: [put('a'), { requestTxn: { failure: [put('a')] } }] },
    });
    expect(nestedDup.code).toBe('duplicate-key');
    // The two branches of a nested txn may write the same key: only one runs.
    await h.ok({
      type: 'txn',
      request: { success: [{ requestTxn: { success: [put('a')], failure: [put('a')] } }] },
    });
    // Different branches of the top level txn are independent too.
    await h.ok({ type: 'txn', request: { success: [put('a')], failure: [put('a')] } });
    const many = await h.rejected({
      type: 'txn',
      request: { success: ['1', '2', '3', '4', '5'].map(put) },
    });
    expect(many.message).toBe('etcdserver: too many operations in txn request');
  });

  it('rejects a txn as a whole when a put names a missing lease', async () => {
    const before = h.store.revision;
    const err = await h.rejected({
      type: 'txn',
      request: {
        success: [
          { requestPut: { key: b('x'), value: b('1') } },
          { requestPut: { key: b('y'), value: b('1'), lease: 99 } },
        ],
      },
    });
    expect(err.message).toBe('etcdserver: requested lease not found');
    expect(h.store.revision).toBe(before);
    expect(await h.get('x')).toBeUndefined();
  });
});

describe('MvccStore compaction', () => {
  let h: Harness;
  beforeEach(async () => (h = await Harness.create({ compactionStep: 2 })));
  afterEach(async () => h.dispose());

  it('keeps reads at and after the compact revision and rejects older ones', async () => {
    await h.put('a', '1'); // 1
    await h.put('a', '2'); // 2
    await h.put('b', '1'); // 3
    await h.del('b'); // 4
    await h.put('a', '3'); // 5
    await h.put('c', '1'); // 6
    await h.ok({ type: 'compact', request: { revision: 4 } });
    await h.store.whenIdle();
    expect(h.store.compactRevision).toBe(4);
    await expect(h.store.range({ key: b('a'), revision: 3 })).rejects.toMatchObject({
      code: 'compacted',
      message: MSG_COMPACTED,
      compactRevision: 4,
    });
    expect((await h.get('a', 4))?.value.toString()).toBe('2');
    expect(await h.get('b', 4)).toBeUndefined();
    expect((await h.get('a'))?.value.toString()).toBe('3');
    expect((await h.get('a'))?.version).toBe(3);

    const again = await h.rejected({ type: 'compact', request: { revision: 4 } });
    expect([again.message, again.compactRevision]).toEqual([MSG_COMPACTED, 4]);
    const future = await h.rejected({ type: 'compact', request: { revision: 7 } });
    expect(future.message).toBe(MSG_FUTURE_REV);

    // The same answers after a restart (index rebuilt from what compaction left on disk).
    await h.reopen();
    expect((await h.get('a', 4))?.value.toString()).toBe('2');
    expect((await h.get('a'))?.version).toBe(3);
    expect(await h.get('b')).toBeUndefined();
    await expect(h.store.range({ key: b('a'), revision: 3 })).rejects.toMatchObject({
      code: 'compacted',
    });
  });

  it('rejects a range inside a txn below the compact revision', async () => {
    await h.put('a', '1');
    await h.put('a', '2');
    await h.ok({ type: 'compact', request: { revision: 2 } });
    const err = await h.rejected({
      type: 'txn',
      request: { success: [{ requestRange: { key: b('a'), revision: 1 } }] },
    });
    expect(err.code).toBe('compacted');
  });

  it('compacts many keys in bounded steps while applies continue', async () => {
    for (let i = 0; i < 30; i++) await h.put(`k${i % 5}`, `v${i}`);
    const compacting = h.ok({ type: 'compact', request: { revision: 30 } });
    const writes = [h.put('k0', 'late')];
    await compacting;
    await Promise.all(writes);
    await h.store.whenIdle();
    const r = await h.store.range({ key: b('k'), rangeEnd: prefixEnd(b('k')) });
    expect(r.kvs.map((kv) => kv.value.toString())).toEqual(['late', 'v26', 'v27', 'v28', 'v29']);
    await h.store.close();
    // On disk: the 5 versions kept at revision 30 plus the one written after.
    expect(await countVersionsOnDisk(h.dir)).toBe(6);
    await h.reopen();
    const after = await h.store.range({ key: b('k'), rangeEnd: prefixEnd(b('k')) });
    expect(after.kvs.map((kv) => kv.version)).toEqual([7, 6, 6, 6, 6]);
  });
});

describe('MvccStore persistence and replay', () => {
  let h: Harness;
  beforeEach(async () => (h = await Harness.create()));
  afterEach(async () => h.dispose());

  it('resumes exactly after close and reopen', async () => {
    await h.ok({ type: 'leaseGrant', request: { id: 3, ttl: 30 } });
    await h.put('a', '1', { lease: 3 });
    await h.put('b', '1');
    await h.del('b');
    const before = { index: h.store.appliedIndex, rev: h.store.revision };
    await h.reopen();
    expect({ index: h.store.appliedIndex, rev: h.store.revision }).toEqual(before);
    expect(h.store.leases()).toEqual([{ id: 3, ttl: 30 }]);
    expect(h.store.leaseKeys(3).map(String)).toEqual(['a']);
    const put = await h.put('a', '2');
    expect(put.header.revision).toBe(before.rev + 1);
    expect((await h.get('a'))?.version).toBe(2);
  });

  it('skips entries at or below appliedIndex and advances on null entries', async () => {
    const outcomes = await h.store.applyBatch([
      { index: 1, command: { type: 'put', request: { key: b('a'), value: b('1') } } },
      { index: 2, command: null },
      { index: 3, command: { type: 'put', request: { key: b('a'), value: b('2') } } },
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['applied', 'applied', 'applied']);
    const replay = await h.store.applyBatch([
      { index: 2, command: null },
      { index: 3, command: { type: 'put', request: { key: b('a'), value: b('again') } } },
      { index: 4, command: { type: 'put', request: { key: b('a'), value: b('3') } } },
    ]);
    expect(replay.map((o) => o.status)).toEqual(['skipped', 'skipped', 'applied']);
    expect(h.store.appliedIndex).toBe(4);
    expect((await h.get('a'))?.value.toString()).toBe('3');
    await h.reopen();
    const again = await h.store.apply(4, { type: 'put', request: { key: b('a'), value: b('x') } });
    expect(again.status).toBe('skipped');
    expect((await h.get('a'))?.version).toBe(3);
  });

  it('reports bad input as a rejected entry and keeps serving', async () => {
    const outcomes = await h.store.applyBatch(
      [
        { index: 1, command: Uint8Array.from([0xc1]) },
        { index: 2, command: { type: 'put', request: { key: b('k'), value: b('v'), lease: 42 } } },
        { index: 3, command: { type: 'put', request: { key: b(''), value: b('v') } } },
        { index: 4, command: { type: 'put', request: { key: b('k'), value: b('ok') } } },
      ],
      { sync: true },
    );
    expect(outcomes.map((o) => (o.status === 'rejected' ? o.error.code : o.status))).toEqual([
      'invalid-command',
      'lease-not-found',
      'invalid-argument',
      'applied',
    ]);
    expect(h.store.appliedIndex).toBe(4);
    expect((await h.get('k'))?.value.toString()).toBe('ok');
  });

  it('deletes ranges and reports counts', async () => {
    for (const k of ['p/1', 'p/2', 'p/3', 'q']) await h.put(k, 'x');
    const r = await h.ok<DeleteRangeResponse>({
      type: 'deleteRange',
      request: { key: b('p/'), rangeEnd: prefixEnd(b('p/')) },
    });
    expect([r.deleted, r.prevKvs.length, r.header.revision]).toEqual([3, 0, 5]);
    const put = await h.ok<PutResponse>({ type: 'put', request: { key: b('p/1'), value: b('y') } });
    expect(put.header.revision).toBe(6);
    expect((await h.get('p/1'))?.createRevision).toBe(6);
  });
});
