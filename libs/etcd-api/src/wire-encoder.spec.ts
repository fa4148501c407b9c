// The hand-written encodings must decode, with protobufjs and the same .proto text the server
// loads, to exactly the messages they stand for.
import { Root, parse } from 'protobufjs';
import { EventType, KeyValue } from '@flotilla/store';
import { ETCDSERVER_PROTO, MVCC_PROTO } from './proto/etcd-proto-text';
import {
  encodeEvent,
  encodeHeader,
  encodePutResponse,
  encodeRangeResponse,
  encodeWatchEvents,
  encodedHeaderSource,
} from './wire-encoder';

const root = new Root();
parse(MVCC_PROTO, root, { keepCase: true });
parse(ETCDSERVER_PROTO, root, { keepCase: true });
root.resolveAll();

function decode(type: string, bytes: Buffer): Record<string, unknown> {
  const t = root.lookupType(type);
  return t.toObject(t.decode(bytes), { longs: String, bytes: String, defaults: false });
}

const kv = (key: string, value: string, mod: number, extra: Partial<KeyValue> = {}): KeyValue => ({
  key: Buffer.from(key),
  value: Buffer.from(value),
  createRevision: 2,
  modRevision: mod,
  version: mod - 1,
  lease: 0,
  ...extra,
});

const header = {
  cluster_id: '18446744073709551615', // 2^64 - 1: beyond what a JS number holds exactly
  member_id: '9007199254740993',
  revision: 42,
  raft_term: 3,
};

describe('hand-written etcd response encoding', () => {
  it('encodes headers, including uint64 IDs above 2^53', () => {
    expect(decode('etcdserverpb.ResponseHeader', encodeHeader(header))).toEqual({
      cluster_id: '18446744073709551615',
      member_id: '9007199254740993',
      revision: '42',
      raft_term: '3',
    });
  });

  it('encodes range responses with every key-value field and leaves zero values out', () => {
    const kvs = [
      kv('/registry/pods/a', 'x'.repeat(300), 7, { lease: 2 ** 40 + 5 }),
      kv('/b', '', 8),
    ];
    const msg = decode(
      'etcdserverpb.RangeResponse',
      encodeRangeResponse(header, kvs, true, 12).toBuffer(),
    );
    expect(msg.more).toBe(true);
    expect(msg.count).toBe('12');
    expect(msg.kvs).toEqual([
      {
        key: Buffer.from('/registry/pods/a').toString('base64'),
        create_revision: '2',
        mod_revision: '7',
        version: '6',
        value: Buffer.from('x'.repeat(300)).toString('base64'),
        lease: String(2 ** 40 + 5),
      },
      {
        key: Buffer.from('/b').toString('base64'),
        create_revision: '2',
        mod_revision: '8',
        version: '7',
      },
    ]);
    const empty = decode(
      'etcdserverpb.RangeResponse',
      encodeRangeResponse(header, [], false, 0).toBuffer(),
    );
    expect(empty).toEqual({ header: expect.any(Object) });
  });

  it('encodes a range response after a gRPC message prefix, the same bytes as on its own', () => {
    for (const size of [0, 100, 600 * 1024]) {
      const res = encodeRangeResponse(header, [kv('/a', 'x'.repeat(size), 3)], false, 1);
      const own = res.toBuffer();
      const framed = res.encodeFramed();
      expect(framed[0]).toBe(0);
      expect(framed.readUInt32BE(1)).toBe(own.length);
      expect(framed.length).toBe(5 + own.length);
      expect(framed.subarray(5).equals(own)).toBe(true);
    }
  });

  it('encodes put responses with and without prev_kv', () => {
    expect(decode('etcdserverpb.PutResponse', encodePutResponse(header, undefined).bytes)).toEqual({
      header: expect.objectContaining({ revision: '42' }),
    });
    const withPrev = decode(
      'etcdserverpb.PutResponse',
      encodePutResponse(header, kv('k', 'v', 5)).bytes,
    );
    expect(withPrev.prev_kv).toMatchObject({ mod_revision: '5', version: '4' });
  });

  it('encodes watch events once and shares them between watchers', () => {
    const put = { type: EventType.PUT, kv: kv('k', 'new', 9), prevKv: kv('k', 'old', 8) };
    const del = { type: EventType.DELETE, kv: kv('k', '', 10, { createRevision: 0, version: 0 }) };
    const headers = encodedHeaderSource(() => header);
    const a = encodeWatchEvents(headers(42), 1, [put, del]);
    const b = encodeWatchEvents(headers(42), 7, [put]);
    expect(encodeEvent(put)).toBe(encodeEvent(put));
    const msg = decode('etcdserverpb.WatchResponse', a.bytes);
    expect(msg.watch_id).toBe('1');
    expect(msg.events).toEqual([
      {
        kv: expect.objectContaining({
          mod_revision: '9',
          value: Buffer.from('new').toString('base64'),
        }),
        prev_kv: expect.objectContaining({ mod_revision: '8' }),
      },
      { type: 1, kv: { key: Buffer.from('k').toString('base64'), mod_revision: '10' } },
    ]);
    expect(decode('etcdserverpb.WatchResponse', b.bytes).watch_id).toBe('7');
  });

  it("writes negative int64 values as ten-byte two's complement varints", () => {
    const msg = decode(
      'etcdserverpb.WatchResponse',
      encodeWatchEvents(encodeHeader(header), -1, []).bytes,
    );
    expect(msg.watch_id).toBe('-1');
  });
});
