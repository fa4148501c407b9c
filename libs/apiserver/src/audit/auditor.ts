// Who did what: each request, at the level the policy gives it, as an audit.k8s.io/v1 Event
// (Kubernetes' shape: user, verb, objectRef, responseStatus, timestamps, the authorization
// decision), handed to a sink (the log file). Request and response bodies only at the levels
// that ask for them.
import { randomUUID } from 'node:crypto';
import type { Attributes } from '../auth/authorizer';
import { AUDIT_API_VERSION, auditLevelOf, AuditPolicy, AuditStage } from './audit-policy';

export interface AuditSink {
  write(event: object): void;
  /** Writes what is queued and lets go of the file (on stop). */
  close?(): Promise<void>;
}

export interface AuditRecord {
  attributes: Attributes;
  /** Path and query as the client sent them. */
  requestURI: string;
  sourceIPs: string[];
  userAgent?: string;
  code: number;
  /** The Status of a failure (status, reason, message). */
  failure?: { status?: unknown; reason?: unknown; message?: unknown };
  /** The authorizer's word, when one decided. */
  decision?: { allowed: boolean; reason: string };
  /** Read only at the levels Request and RequestResponse. */
  requestObject?: () => unknown;
  responseObject?: () => unknown;
  received: Date;
  completed: Date;
  /** Watches are logged when their response starts. */
  stage: Extract<AuditStage, 'ResponseStarted' | 'ResponseComplete'>;
  /** The client's Audit-ID header, if it sent one. */
  auditID?: string;
}

export class Auditor {
  constructor(
    private readonly policy: AuditPolicy,
    private readonly sink: AuditSink,
    private readonly newId: () => string = randomUUID,
  ) {}

  record(r: AuditRecord): void {
    const { level, omitStages } = auditLevelOf(this.policy, r.attributes);
    if (level === 'None' || omitStages.includes(r.stage)) return;
    const a = r.attributes;
    const event: Record<string, unknown> = {
      kind: 'Event',
      apiVersion: AUDIT_API_VERSION,
      level,
      auditID: r.auditID || this.newId(),
      stage: r.stage,
      requestURI: r.requestURI,
      verb: a.verb,
      user: {
        username: a.user.name,
        ...(a.user.uid ? { uid: a.user.uid } : {}),
        groups: a.user.groups,
        ...(a.user.extra ? { extra: a.user.extra } : {}),
      },
      sourceIPs: r.sourceIPs,
      ...(r.userAgent ? { userAgent: r.userAgent } : {}),
    };
    if (a.kind === 'resource') {
      event.objectRef = {
        resource: a.resource,
        ...(a.namespace ? { namespace: a.namespace } : {}),
        ...(a.name ? { name: a.name } : {}),
        ...(a.apiGroup ? { apiGroup: a.apiGroup } : {}),
        apiVersion: a.apiVersion,
        ...(a.subresource ? { subresource: a.subresource } : {}),
      };
    }
    event.responseStatus = {
      metadata: {},
      ...(r.failure ?? {}),
      code: r.code,
    };
    if (level === 'Request' || level === 'RequestResponse') {
      const body = r.requestObject?.();
      if (body !== undefined) event.requestObject = body;
    }
    if (level === 'RequestResponse') {
      const body = r.responseObject?.();
      if (body !== undefined) event.responseObject = body;
    }
    event.requestReceivedTimestamp = microTime(r.received);
    event.stageTimestamp = microTime(r.completed);
    if (r.decision) {
      event.annotations = {
        'authorization.k8s.io/decision': r.decision.allowed ? 'allow' : 'forbid',
        'authorization.k8s.io/reason': r.decision.reason,
      };
    }
    this.sink.write(event);
  }
}

/** metav1.MicroTime: RFC 3339 with six fractional digits. */
function microTime(d: Date): string {
  // toISOString() ends in .sssZ: three more zero digits make it microseconds.
  return `${d.toISOString().slice(0, -1)}000Z`;
}
