// Request and response media types beyond JSON: protobuf bodies in, protobuf answers out when asked for only.
import {
  apiErrors,
  decodeKubernetesProtobuf,
  encodeKubernetesProtobuf,
  isPlainObject,
  PROTOBUF_MEDIA_TYPE,
  protobufKinds,
  protobufMessageFor,
  ProtobufError,
} from '@flotilla/api';

/** Media ranges a JSON answer satisfies. */
const JSON_RANGES = new Set(['application/json', 'application/*', '*/*']);

/**
 * Whether the Accept header asks for protobuf and for nothing JSON satisfies. kubectl sends
 * `application/vnd.kubernetes.protobuf,application/json`: it gets JSON.
 */
export function acceptsOnlyProtobuf(accept: string): boolean {
  let protobuf = false;
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((s) => s.trim().toLowerCase());
    if (type === '' || params.some((p) => /^q=0(\.0*)?$/.test(p.replace(/\s/g, '')))) continue;
    if (JSON_RANGES.has(type)) return false;
    if (type === PROTOBUF_MEDIA_TYPE && !params.some((p) => p.startsWith('as='))) protobuf = true;
  }
  return protobuf;
}

/** A protobuf request body as the JSON object it stands for; a Kubernetes Status error otherwise. */
export function decodeProtobufBody(body: Buffer): unknown {
  try {
    return decodeKubernetesProtobuf(body);
  } catch (err) {
    if (!(err instanceof ProtobufError)) throw err;
    if (err.problem === 'unsupported') throw apiErrors.unsupportedMediaType(err.message);
    throw apiErrors.badRequest(`the protobuf body of the request is malformed: ${err.message}`);
  }
}

/**
 * The protobuf bytes of a response body, or undefined when its kind has no protobuf schema. Fields
 * the schema does not have (kept when a request was written with fieldValidation Ignore or Warn) are
 * left out, as a Go server's answer would not have them either.
 */
export function encodeProtobufResponse(body: unknown): Uint8Array | undefined {
  if (!isPlainObject(body)) return undefined;
  try {
    return encodeKubernetesProtobuf(body, { dropUnknownFields: true });
  } catch (err) {
    if (err instanceof ProtobufError) return undefined;
    throw err;
  }
}

/** Whether answers about objects of this kind can be written as protobuf. */
export function protobufAnswers(apiVersion: string, kind: string): boolean {
  return protobufMessageFor(apiVersion, kind) !== undefined;
}

/** The 406 a protobuf-only client gets for an answer that has no protobuf form, itself in protobuf. */
export function notAcceptableStatus(): Uint8Array {
  const kinds = protobufKinds()
    .map((k) => k.slice(k.lastIndexOf('/') + 1))
    .filter((k) => k !== 'DeleteOptions' && k !== 'Status');
  const err = apiErrors.notAcceptable(
    `this answer cannot be written as ${PROTOBUF_MEDIA_TYPE} (served for objects and lists of ` +
      `${kinds.join(', ')}); accept application/json`,
  );
  return encodeKubernetesProtobuf(err.status);
}
