import { apiErrors } from '@flotilla/api';

/**
 * The opaque `continue` of a paged list: the revision the first page was read at and the key to
 * start from, relative to the list's prefix (so a token cannot reach outside it).
 */
export interface ContinuePoint {
  revision: number;
  startKey: string;
}

export function encodeContinue(point: ContinuePoint): string {
  return Buffer.from(
    JSON.stringify({ v: 'meta.k8s.io/v1', rv: point.revision, start: point.startKey }),
  ).toString('base64url');
}

export function decodeContinue(token: string): ContinuePoint {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidToken();
  }
  const p = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (
    p?.v !== 'meta.k8s.io/v1' ||
    typeof p.rv !== 'number' ||
    !Number.isSafeInteger(p.rv) ||
    p.rv < 1 ||
    typeof p.start !== 'string' ||
    p.start.includes('..')
  ) {
    throw invalidToken();
  }
  return { revision: p.rv, startKey: p.start };
}

function invalidToken() {
  return apiErrors.badRequest('continue key is not valid: incorrect encoded start resourceVersion');
}

export const CONTINUE_EXPIRED_MESSAGE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';
