// Audit events for requests answered at the HTTP edge, not by the REST handler: the paths
// outside the API (/metrics, /healthz, /livez, /readyz and their checks), served or refused, and
// any request refused before the handler (401). Kubernetes logs them all as non-resource (or
// resource) requests; the policy decides their level as for any other, nonResourceURLs included.
import { requestAttributes } from '../auth/authorizer';
import type { UserInfo } from '../auth/user-info';
import type { Auditor } from './auditor';

export interface EdgeRequest {
  method: string;
  /** Path and query as the client sent them. */
  url: string;
  sourceIp: string;
  userAgent?: string;
  /** Who the gate found; none without valid credentials (logged as an empty user). */
  user?: UserInfo;
  received: Date;
  auditID?: string;
}

export interface EdgeAnswer {
  code: number;
  /** The Status of a refusal. */
  failure?: { status?: unknown; reason?: unknown; message?: unknown };
  /** The authorizer's word on a path it decided. */
  decision?: { allowed: boolean; reason: string };
}

export function auditEdgeRequest(
  auditor: Auditor,
  r: EdgeRequest,
  answer: EdgeAnswer,
  completed: Date = new Date(),
): void {
  const url = new URL(r.url, 'http://localhost');
  const user = r.user ?? { name: '', groups: [] };
  auditor.record({
    attributes: requestAttributes(
      user,
      r.method,
      url.pathname,
      url.searchParams.get('watch') === 'true',
    ),
    requestURI: `${url.pathname}${url.search}`,
    sourceIPs: [r.sourceIp],
    userAgent: r.userAgent,
    code: answer.code,
    failure: answer.failure,
    decision: answer.decision,
    received: r.received,
    completed,
    stage: 'ResponseComplete',
    auditID: r.auditID,
  });
}
