import {
  apiErrors,
  apiVersionOf,
  isPlainObject,
  jsonNestingProblem,
  KubeObject,
  ResourceInfo,
} from '@flotilla/api';

/** RFC 3339 at second precision, as Kubernetes writes timestamps. */
export function timestamp(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function parseJsonBody(body: Buffer | undefined): unknown {
  if (body === undefined || body.length === 0) return undefined;
  // Before anything walks it: every walk of the parsed value recurses.
  const tooDeep = jsonNestingProblem(body);
  if (tooDeep)
    throw apiErrors.badRequest(`the object provided is unrecognized (must be JSON): ${tooDeep}`);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw apiErrors.badRequest(
      `the object provided is unrecognized (must be JSON): ${(err as Error).message}`,
    );
  }
}

/**
 * The body of a create or update, checked against the URL: an object of this kind and version
 * (filled in when absent), in the URL's namespace, with the URL's name.
 */
export function objectFromBody(
  r: ResourceInfo,
  body: unknown,
  url: { namespace?: string; name?: string },
  kind = r.kind,
  apiVersion = apiVersionOf(r),
): KubeObject {
  if (!isPlainObject(body)) {
    throw apiErrors.badRequest(
      'the body of the request was in an unknown format - accepted media types include: application/json',
    );
  }
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersion) {
    throw apiErrors.badRequest(
      `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersion})`,
    );
  }
  if (body.kind !== undefined && body.kind !== kind) {
    throw apiErrors.badRequest(
      `the kind in the data (${String(body.kind)}) does not match the expected kind (${kind})`,
    );
  }
  if (body.metadata !== undefined && !isPlainObject(body.metadata)) {
    throw apiErrors.badRequest('metadata must be an object');
  }
  const obj = {
    ...body,
    apiVersion,
    kind,
    metadata: { ...((body.metadata as object) ?? {}) },
  } as KubeObject;
  if (r.namespaced) {
    if (obj.metadata.namespace && url.namespace && obj.metadata.namespace !== url.namespace) {
      throw apiErrors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    if (url.namespace) obj.metadata.namespace = url.namespace;
  } else {
    delete obj.metadata.namespace;
  }
  if (url.name !== undefined && obj.metadata.name !== undefined && obj.metadata.name !== url.name) {
    throw apiErrors.badRequest(
      `the name of the object (${obj.metadata.name}) does not match the name on the URL (${url.name})`,
    );
  }
  if (url.name !== undefined) obj.metadata.name = url.name;
  return obj;
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** generateName plus five random characters, as Kubernetes' name generator makes them. */
export function generateName(base: string, random: (n: number) => number): string {
  const prefix = base.length > 58 ? base.slice(0, 58) : base;
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[random(GENERATE_ALPHABET.length)];
  return prefix + suffix;
}

/** A resourceVersion a client sent: a positive integer, or 400. */
export function parseResourceVersion(text: string, what = 'resourceVersion'): number {
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw apiErrors.badRequest(`invalid ${what}: ${JSON.stringify(text)}`);
  }
  return Number(text);
}
