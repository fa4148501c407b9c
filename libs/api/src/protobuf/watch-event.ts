// Watch streams in protobuf (application/vnd.kubernetes.protobuf;stream=watch), as a Kubernetes API
// server writes them for a client that accepts only protobuf: each frame is a 4-byte big-endian
// length, then the k8s\0 envelope of a meta/v1 WatchEvent (type = 1; object = 2, a RawExtension
// whose raw bytes = 1 are the object's own envelope). The WatchEvent's envelope names the watched
// resource's group version, where Kubernetes registers WatchEvent.
import {
  decodeKubernetesProtobuf,
  encodeKubernetesProtobuf,
  PROTOBUF_MEDIA_TYPE,
  unwrapEnvelope,
  wrapInEnvelope,
  type DecodedObject,
} from './envelope';
import { malformed } from './errors';
import { ProtoReader, ProtoWriter, WireType } from './wire';

export const PROTOBUF_WATCH_MEDIA_TYPE = `${PROTOBUF_MEDIA_TYPE};stream=watch`;

const FRAME_HEADER = 4;

/** One framed event: the object (apiVersion and kind set) in its protobuf form. */
export function encodeWatchEventFrame(
  apiVersion: string,
  type: string,
  object: Record<string, unknown>,
): Uint8Array {
  const raw = encodeKubernetesProtobuf(object, { dropUnknownFields: true });
  const extension = new ProtoWriter().tag(1, WireType.Bytes).bytes(raw).finish();
  const event = new ProtoWriter()
    .tag(1, WireType.Bytes)
    .string(type)
    .tag(2, WireType.Bytes)
    .bytes(extension)
    .finish();
  const body = wrapInEnvelope(apiVersion, 'WatchEvent', event);
  const frame = new Uint8Array(FRAME_HEADER + body.length);
  new DataView(frame.buffer).setUint32(0, body.length);
  frame.set(body, FRAME_HEADER);
  return frame;
}

export interface DecodedWatchEvent {
  type: string;
  object: DecodedObject;
}

/** The events of whole frames at the start of `bytes`, and how many bytes they took. */
export function decodeWatchEventFrames(bytes: Uint8Array): {
  events: DecodedWatchEvent[];
  used: number;
} {
  const events: DecodedWatchEvent[] = [];
  let at = 0;
  while (bytes.length - at >= FRAME_HEADER) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + at).getUint32(0);
    if (bytes.length - at - FRAME_HEADER < length) break;
    const body = bytes.subarray(at + FRAME_HEADER, at + FRAME_HEADER + length);
    events.push(decodeWatchEvent(body));
    at += FRAME_HEADER + length;
  }
  return { events, used: at };
}

function decodeWatchEvent(body: Uint8Array): DecodedWatchEvent {
  const { kind, raw } = unwrapEnvelope(body);
  if (kind !== 'WatchEvent') throw malformed(`a watch frame carries a ${kind}, not a WatchEvent`);
  let type = '';
  let object: DecodedObject | undefined;
  const r = new ProtoReader(raw);
  while (!r.done) {
    const { no, wire } = r.tag();
    if (no === 1 && wire === WireType.Bytes) type = r.string();
    else if (no === 2 && wire === WireType.Bytes) {
      const ext = new ProtoReader(r.bytes());
      while (!ext.done) {
        const t = ext.tag();
        if (t.no === 1 && t.wire === WireType.Bytes) object = decodeKubernetesProtobuf(ext.bytes());
        else ext.skip(t.wire);
      }
    } else r.skip(wire);
  }
  if (!object) throw malformed('a WatchEvent carries no object');
  return { type, object };
}
