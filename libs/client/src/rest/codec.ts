// Bodies on the wire: JSON always, Kubernetes protobuf for the kinds the server speaks it for;
// and non-2xx answers as ApiError carrying the server's Status.
import {
  ApiError,
  decodeKubernetesProtobuf,
  encodeKubernetesProtobuf,
  isPlainObject,
  PROTOBUF_MEDIA_TYPE,
  ProtobufError,
} from '@flotilla/api';
import type { RestResponse } from '../transport/transport';

export const JSON_MEDIA_TYPE = 'application/json';

export function isProtobuf(res: RestResponse): boolean {
  return (res.headers['content-type'] ?? '').split(';')[0].trim() === PROTOBUF_MEDIA_TYPE;
}

/** The decoded body of an answer (undefined when empty). */
export function decodeBody(res: RestResponse): unknown {
  if (res.body.length === 0) return undefined;
  if (isProtobuf(res)) return decodeKubernetesProtobuf(res.body);
  try {
    return JSON.parse(res.body.toString('utf8'));
  } catch {
    throw new ApiError(
      res.status >= 400 ? res.status : 500,
      'InternalError',
      `${res.endpoint} answered ${res.status} with a body that is not JSON: ${snippet(res.body)}`,
    );
  }
}

/** A request body in protobuf when the kind has a schema and every field fits; else undefined. */
export function encodeProtobuf(obj: Record<string, unknown>): Uint8Array | undefined {
  try {
    return encodeKubernetesProtobuf(obj);
  } catch (err) {
    if (err instanceof ProtobufError) return undefined;
    throw err;
  }
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** The error for a non-2xx answer: the server's own Status when it sent one. */
export function toApiError(res: RestResponse): ApiError {
  let body: unknown;
  try {
    body = decodeBody(res);
  } catch {
    body = undefined;
  }
  if (isPlainObject(body) && body.kind === 'Status') return statusError(body, res.status);
  const reason = REASONS[res.status] ?? 'Unknown';
  const text = res.body.length > 0 ? `: ${snippet(res.body)}` : '';
  return new ApiError(res.status, reason, `${res.endpoint} answered ${res.status}${text}`);
}

/** An ApiError from a metav1.Status object (an error answer or a watch ERROR event). */
export function statusError(status: Record<string, unknown>, fallbackCode = 500): ApiError {
  const code = typeof status.code === 'number' ? status.code : fallbackCode;
  const reason = typeof status.reason === 'string' ? status.reason : (REASONS[code] ?? 'Unknown');
  const message = typeof status.message === 'string' ? status.message : `status ${code}`;
  const details = isPlainObject(status.details) ? status.details : undefined;
  return new ApiError(code, reason, message, details);
}

function snippet(body: Buffer): string {
  const text = body.toString('utf8', 0, Math.min(body.length, 300)).replace(/\s+/g, ' ').trim();
  return body.length > 300 ? `${text}...` : text;
}
