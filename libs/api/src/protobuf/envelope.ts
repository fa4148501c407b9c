// application/vnd.kubernetes.protobuf: the bytes "k8s\0", then a runtime.Unknown that names the kind
// (typeMeta: apiVersion 1, kind 2) and carries the object's own message in `raw` (2), with
// contentEncoding (3) and contentType (4) empty.
import { decodeMessage, encodeMessage, EncodeOptions, JsonObject } from './codec';
import { malformed, unsupported } from './errors';
import { ProtoReader, ProtoWriter, WireType } from './wire';
import { kindModules, kindsGeneration } from '../kinds/registry';
import { META_V1 } from './tables/meta-v1';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

/** The kinds with a schema: apiVersion/kind -> qualified message name. `*` is any apiVersion. */
let kinds: Map<string, string> | undefined;
let kindsBuiltFor = -1;

/** Every kind module with a protobuf table of its kind (and list) is covered. */
function coveredKinds(): Map<string, string> {
  if (kinds && kindsBuiltFor === kindsGeneration()) return kinds;
  const out = new Map<string, string>();
  for (const m of kindModules()) {
    const r = m.resource;
    if (!m.protobuf?.messages[r.kind]) continue;
    const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
    // Qualified: two groups may have a kind of one name (core/v1 and events.k8s.io/v1 Event).
    const message = (kind: string) => `${m.protobuf!.package}.${kind}`;
    out.set(`${apiVersion}/${r.kind}`, message(r.kind));
    if (m.protobuf.messages[r.listKind])
      out.set(`${apiVersion}/${r.listKind}`, message(r.listKind));
    for (const kind of m.protobufKinds ?? []) out.set(`${apiVersion}/${kind}`, message(kind));
  }
  out.set('v1/Status', `${META_V1.package}.Status`);
  // Clients send DeleteOptions under their own group version (or meta.k8s.io/v1).
  out.set('*/DeleteOptions', `${META_V1.package}.DeleteOptions`);
  kinds = out;
  kindsBuiltFor = kindsGeneration();
  return out;
}

/** The (qualified) message of a kind, when the codec covers it. */
export function protobufMessageFor(apiVersion: string, kind: string): string | undefined {
  const covered = coveredKinds();
  return covered.get(`${apiVersion}/${kind}`) ?? covered.get(`*/${kind}`);
}

/** The kinds the codec covers, as apiVersion/kind, for messages that list them. */
export function protobufKinds(): string[] {
  return [...coveredKinds().keys()].filter((k) => !k.endsWith('List'));
}

export interface DecodedObject extends JsonObject {
  apiVersion: string;
  kind: string;
}

interface Unknown {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

function ignoreZero(r: ProtoReader, no: number, wire: number, message: string): void {
  if (r.skip(wire).nonZero)
    throw unsupported(
      `protobuf field ${no} of ${message} is not known to this server and carries a value`,
    );
}

function readUnknown(bytes: Uint8Array): Unknown {
  const u: Unknown = {
    apiVersion: '',
    kind: '',
    raw: new Uint8Array(0),
    contentEncoding: '',
    contentType: '',
  };
  const r = new ProtoReader(bytes, MAGIC.length);
  while (!r.done) {
    const { no, wire } = r.tag();
    if (no >= 1 && no <= 4 && wire !== WireType.Bytes)
      throw malformed(`runtime.Unknown field ${no} has wire type ${wire}, expected 2`);
    switch (no) {
      case 1: {
        const tm = new ProtoReader(r.bytes());
        while (!tm.done) {
          const t = tm.tag();
          if ((t.no === 1 || t.no === 2) && t.wire !== WireType.Bytes)
            throw malformed(`runtime.TypeMeta field ${t.no} has wire type ${t.wire}, expected 2`);
          if (t.no === 1) u.apiVersion = tm.string();
          else if (t.no === 2) u.kind = tm.string();
          else ignoreZero(tm, t.no, t.wire, 'runtime.TypeMeta');
        }
        break;
      }
      case 2:
        u.raw = r.bytes();
        break;
      case 3:
        u.contentEncoding = r.string();
        break;
      case 4:
        u.contentType = r.string();
        break;
      default:
        ignoreZero(r, no, wire, 'runtime.Unknown');
    }
  }
  return u;
}

/**
 * The JSON object a protobuf request body stands for, with its apiVersion and kind. Throws
 * ProtobufError: `malformed` for bytes that are not this format, `unsupported` for a kind or a field
 * the codec does not cover.
 */
export function decodeKubernetesProtobuf(bytes: Uint8Array): DecodedObject {
  const u = unwrapEnvelope(bytes);
  const message = protobufMessageFor(u.apiVersion, u.kind);
  if (!message) {
    const gvk = u.apiVersion ? `${u.apiVersion}, Kind=${u.kind}` : u.kind;
    const kinds = protobufKinds().map((k) => k.slice(k.lastIndexOf('/') + 1));
    throw unsupported(
      `protobuf is not supported for ${gvk} on this server (only for ${kinds.join(', ')}); ` +
        'send it as JSON (Content-Type: application/json)',
    );
  }
  const obj = decodeMessage(message, u.raw);
  return { apiVersion: u.apiVersion, kind: u.kind, ...obj };
}

/** The protobuf form of an object of a covered kind (it must carry apiVersion and kind). */
export function encodeKubernetesProtobuf(obj: JsonObject, options: EncodeOptions = {}): Uint8Array {
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const message = protobufMessageFor(apiVersion, kind);
  if (!message) throw unsupported(`protobuf is not supported for ${apiVersion}/${kind}`);
  return wrapInEnvelope(apiVersion, kind, encodeMessage(message, obj, options));
}

/** A message's bytes in the k8s\0 envelope that names its kind. */
export function wrapInEnvelope(apiVersion: string, kind: string, raw: Uint8Array): Uint8Array {
  const typeMeta = new ProtoWriter();
  typeMeta.tag(1, WireType.Bytes).string(apiVersion);
  typeMeta.tag(2, WireType.Bytes).string(kind);
  const w = new ProtoWriter();
  w.raw(MAGIC);
  w.tag(1, WireType.Bytes).bytes(typeMeta.finish());
  w.tag(2, WireType.Bytes).bytes(raw);
  w.tag(3, WireType.Bytes).string('');
  w.tag(4, WireType.Bytes).string('');
  return w.finish();
}

/** The kind an envelope names and the message bytes it carries (checked: prefix, kind, encoding). */
export function unwrapEnvelope(bytes: Uint8Array): {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
} {
  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b))
    throw malformed('the body does not start with the protobuf envelope prefix "k8s\\x00"');
  const u = readUnknown(bytes);
  if (u.kind === '') throw malformed('the protobuf envelope names no kind');
  if (u.contentEncoding !== '')
    throw unsupported(
      `protobuf content encoding ${JSON.stringify(u.contentEncoding)} is not supported`,
    );
  if (u.contentType !== '' && u.contentType !== PROTOBUF_MEDIA_TYPE)
    throw unsupported(`protobuf content type ${JSON.stringify(u.contentType)} is not supported`);
  return { apiVersion: u.apiVersion, kind: u.kind, raw: u.raw };
}
