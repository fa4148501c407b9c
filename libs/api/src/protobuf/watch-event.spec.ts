// Protobuf watch frames as a Kubernetes API server writes them: a 4-byte big-endian length, then the
// envelope of a meta/v1 WatchEvent (type 1, object 2 = RawExtension whose raw 1 is the object's
// own envelope), checked against bytes written out by hand.
import { decodeWatchEventFrames, encodeWatchEventFrame } from './watch-event';

const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// The object's envelope: k8s\0, typeMeta {v1, Endpoints}, raw {metadata {name e}}, "", "".
const OBJECT = '6b387300 0a0f 0a02 7631 1209 456e64706f696e7473 1205 0a03 0a01 65 1a00 2200';
const FRAME = `
  00000047
  6b387300 0a10 0a02 7631 120a 57617463684576656e74
  122b 0a05 4144444544 1222 0a20 ${OBJECT}
  1a00 2200`;

describe('protobuf watch frames', () => {
  const endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'e' } };

  it('writes one event as a length-prefixed WatchEvent envelope', () => {
    expect(hex(encodeWatchEventFrame('v1', 'ADDED', endpoints))).toBe(hex(bytes(FRAME)));
  });

  it('reads whole frames back and leaves a partial one for later', () => {
    const one = bytes(FRAME);
    const deleted = encodeWatchEventFrame('v1', 'DELETED', endpoints);
    const stream = Buffer.concat([one, deleted, deleted.subarray(0, 10)]);
    const { events, used } = decodeWatchEventFrames(stream);
    expect(events).toEqual([
      { type: 'ADDED', object: endpoints },
      { type: 'DELETED', object: endpoints },
    ]);
    expect(used).toBe(one.length + deleted.length);
  });

  it('carries bookmarks and ERROR events with their Status', () => {
    const bookmark = { apiVersion: 'v1', kind: 'Node', metadata: { resourceVersion: '42' } };
    const status = {
      apiVersion: 'v1',
      kind: 'Status',
      status: 'Failure',
      message: 'too old resource version: 1 (42)',
      reason: 'Expired',
      code: 410,
    };
    const stream = Buffer.concat([
      encodeWatchEventFrame('v1', 'BOOKMARK', bookmark),
      encodeWatchEventFrame('v1', 'ERROR', status),
    ]);
    expect(decodeWatchEventFrames(stream).events).toEqual([
      { type: 'BOOKMARK', object: bookmark },
      { type: 'ERROR', object: status },
    ]);
  });

  it('refuses a frame that is not a WatchEvent', () => {
    const notEvent = bytes(OBJECT);
    const frame = Buffer.concat([Buffer.from([0, 0, 0, notEvent.length]), notEvent]);
    expect(() => decodeWatchEventFrames(frame)).toThrow(/not a WatchEvent/);
  });
});
