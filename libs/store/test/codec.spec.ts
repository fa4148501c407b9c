import {
  Command,
  CompareResult,
  CompareTarget,
  SortOrder,
  SortTarget,
  StoreError,
  decodeCommand,
  encodeCommand,
} from '../src';
import { KeyIndex } from '../src/key-index';
import { b } from './helpers';

describe('command codec', () => {
  it('round-trips every command type, nested txns included', () => {
    const commands: Command[] = [
      {
        type: 'put',
        request: {
          key: b('k'),
          value: b('v'),
          lease: 3,
          prevKv: true,
          ignoreValue: false,
          ignoreLease: false,
        },
      },
      { type: 'deleteRange', request: { key: b('a'), rangeEnd: b('b'), prevKv: true } },
      { type: 'compact', request: { revision: 2 ** 40, physical: true } },
      { type: 'leaseGrant', request: { id: 2 ** 52, ttl: 60 } },
      { type: 'leaseRevoke', request: { id: 5 } },
      { type: 'leaseCheckpoint', request: { checkpoints: [{ id: 5, remainingTtl: 7 }] } },
      {
        type: 'txn',
        request: {
          compare: [
            {
              result: CompareResult.LESS,
              target: CompareTarget.MOD,
              key: b('k'),
              rangeEnd: b(''),
              modRevision: 9,
            },
            {
              result: CompareResult.EQUAL,
              target: CompareTarget.VALUE,
              key: b('k'),
              rangeEnd: b(''),
              value: b('x'),
            },
          ],
          success: [
            {
              requestRange: {
                key: b('a'),
                rangeEnd: Buffer.from([0]),
                limit: 10,
                revision: 4,
                sortOrder: SortOrder.DESCEND,
                sortTarget: SortTarget.MOD,
                serializable: false,
                keysOnly: true,
                countOnly: false,
                minModRevision: 1,
                maxModRevision: 2,
                minCreateRevision: 3,
                maxCreateRevision: 4,
              },
            },
            {
              requestTxn: {
                compare: [],
                success: [{ requestDeleteRange: { key: b('z'), rangeEnd: b(''), prevKv: false } }],
                failure: [],
              },
            },
          ],
          failure: [],
        },
      },
    ];
    for (const cmd of commands) {
      expect(decodeCommand(encodeCommand(cmd))).toEqual(cmd);
    }
  });

  it('rejects garbage with a clear error', () => {
    for (const bytes of [
      Uint8Array.from([0xc1]),
      encodeCommand({ type: 'leaseRevoke', request: { id: 1 } }).slice(0, 1),
      Buffer.from([0x93, 0x63, 0x01, 0x02]),
    ]) {
      expect(() => decodeCommand(bytes)).toThrow(StoreError);
    }
    expect(() => decodeCommand(Buffer.from([0x92, 0x06, 0xff]))).toThrow(/non-negative integer/);
  });
});

describe('KeyIndex (etcd keyIndex rules)', () => {
  it('answers per revision across generations and compacts like etcd', () => {
    const ki = new KeyIndex('k');
    ki.put({ main: 2, sub: 0 }, 2, 1, 0);
    ki.put({ main: 4, sub: 0 }, 2, 2, 0);
    ki.tombstone({ main: 6, sub: 0 });
    ki.put({ main: 8, sub: 0 }, 8, 1, 0);
    ki.put({ main: 10, sub: 0 }, 8, 2, 0);
    expect(ki.get(1)).toBeUndefined();
    expect(ki.get(5)).toMatchObject({ mod: { main: 4 }, createRevision: 2, version: 2 });
    expect(ki.get(7)).toBeUndefined();
    expect(ki.get(9)).toMatchObject({ mod: { main: 8 }, createRevision: 8, version: 1 });
    const existsEverywhere = () =>
      Array.from({ length: 13 }, (_, rev) => ki.existsAt(rev) === (ki.get(rev) !== undefined));
    expect(existsEverywhere()).not.toContain(false);
    const keep: number[] = [];
    ki.compact(5, (r) => keep.push(r.main));
    expect(keep).toEqual([4]);
    expect(ki.get(5)).toMatchObject({ mod: { main: 4 }, version: 2 });
    keep.length = 0;
    // The tombstone at 6 is dropped together with its generation.
    ki.compact(7, (r) => keep.push(r.main));
    expect(keep).toEqual([]);
    expect(ki.get(7)).toBeUndefined();
    ki.compact(9, (r) => keep.push(r.main));
    expect(keep).toEqual([8]);
    expect(existsEverywhere()).not.toContain(false);
    expect(ki.latest()).toMatchObject({ mod: { main: 10 }, createRevision: 8, version: 2 });
    ki.tombstone({ main: 11, sub: 0 });
    ki.compact(11, () => undefined);
    expect(ki.isEmpty()).toBe(true);
  });
});
