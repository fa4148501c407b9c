// Authentication at the HTTP edge, shared by every server of the API port: a verified client
// certificate or a token is a user; no credentials is anonymous, let through only to the public
// health and version paths (Kubernetes' anonymous-auth limited to those endpoints); anything
// else is a 401 with Kubernetes' Status. Paths outside the REST API (health, metrics) are
// authorized here as non-resource requests; REST paths are authorized by the handler.
import type { IncomingMessage } from 'node:http';
import { ApiError } from '@flotilla/api';
import { Authorizer, forbidden, requestAttributes } from './authorizer';
import { clientCertificateOf } from '@flotilla/pki/client-identity';
import type { RequestAuthenticator } from './request-authenticator';
import { ANONYMOUS, UserInfo } from './user-info';

const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

export type GateOutcome =
  | { ok: true; user: UserInfo; /** The authorizer's reason, when it decided. */ reason?: string }
  | { ok: false; status: 401 | 403; body: Record<string, unknown> };

export async function authenticateHttp(
  authenticator: RequestAuthenticator,
  req: IncomingMessage,
  path: string,
): Promise<GateOutcome> {
  const outcome = await authenticator.authenticate({
    headers: req.headers,
    clientCertificate: clientCertificateOf(req.socket),
  });
  if (outcome.kind === 'user') return { ok: true, user: outcome.user };
  if (outcome.kind === 'anonymous' && isPublicPath(path)) return { ok: true, user: ANONYMOUS };
  return { ok: false, status: 401, body: unauthorizedStatus() };
}

/** Whether anonymous requests may reach the path (then RBAC still decides). */
export function isPublicPath(path: string): boolean {
  return (
    PUBLIC_PATHS.has(path) ||
    path.startsWith('/livez/') ||
    path.startsWith('/readyz/') ||
    path.startsWith('/healthz/')
  );
}

/** A non-REST path (/metrics, /readyz): the authorizer's word, or the 403 Status. */
export function authorizePath(
  authorizer: Authorizer,
  user: UserInfo,
  method: string,
  path: string,
): GateOutcome {
  const a = requestAttributes(user, method, path, false);
  const d = authorizer.authorize(a);
  if (d.decision === 'allow') return { ok: true, user, reason: d.reason };
  const err: ApiError = forbidden(a, d.reason);
  return { ok: false, status: 403, body: err.status as unknown as Record<string, unknown> };
}

/** The metav1.Status of a request without valid credentials. */
export function unauthorizedStatus(): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Unauthorized',
    reason: 'Unauthorized',
    code: 401,
  };
}
