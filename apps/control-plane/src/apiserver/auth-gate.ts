import type { IncomingMessage } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  ApiServer,
  auditEdgeRequest,
  authenticateHttp,
  authorizePath,
  EdgeRequest,
  GateOutcome,
  UserInfo,
} from '@flotilla/apiserver';

/** Who each request on the API port is, as the gate authenticated it. */
const identities = new WeakMap<IncomingMessage, UserInfo>();

export function requestUser(req: IncomingMessage): UserInfo | undefined {
  return identities.get(req);
}

/** Paths the REST handler serves and authorizes itself (with the user the gate found). */
const REST = /^\/(api|apis|version|openapi)(\/|$)/;

/** Requests on paths outside the REST API that the gate let through, audited once answered. */
const edgeRequests = new WeakMap<IncomingMessage, { request: EdgeRequest; reason: string }>();

/**
 * In the secure mode, every request on the API port passes here first: authenticated (401
 * otherwise), and, outside the REST API (health, /metrics), authorized as a non-resource
 * request (403 otherwise). What the REST handler does not serve is audited here: refusals at
 * once, served non-resource requests when their response is complete. The insecure mode
 * installs nothing: every request is allowed.
 */
export function installAuthGate(app: NestFastifyApplication, server: ApiServer): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (req, reply) => {
    const received = new Date();
    const path = new URL(req.raw.url ?? '/', 'http://localhost').pathname;
    let outcome: GateOutcome = await authenticateHttp(server.authenticator, req.raw, path);
    const user = outcome.ok ? outcome.user : undefined;
    const rest = REST.test(path);
    if (outcome.ok && !rest) {
      await server.authorizer.ready?.();
      outcome = authorizePath(server.authorizer, outcome.user, req.method, path);
    }
    const request = edgeRequest(req.raw, req.ip, received, user);
    if (!outcome.ok) {
      if (server.auditor) {
        auditEdgeRequest(server.auditor, request, {
          code: outcome.status,
          failure: {
            status: outcome.body.status,
            reason: outcome.body.reason,
            message: outcome.body.message,
          },
          decision:
            outcome.status === 403
              ? { allowed: false, reason: String(outcome.body.message) }
              : undefined,
        });
      }
      return reply
        .code(outcome.status)
        .header('content-type', 'application/json')
        .send(JSON.stringify(outcome.body));
    }
    identities.set(req.raw, outcome.user);
    if (!rest && server.auditor) {
      edgeRequests.set(req.raw, { request, reason: outcome.reason ?? '' });
    }
  });
  fastify.addHook('onResponse', async (req, reply) => {
    const served = edgeRequests.get(req.raw);
    if (!served || !server.auditor) return;
    edgeRequests.delete(req.raw);
    auditEdgeRequest(server.auditor, served.request, {
      code: reply.statusCode,
      decision: { allowed: true, reason: served.reason },
    });
  });
}

function edgeRequest(
  req: IncomingMessage,
  sourceIp: string,
  received: Date,
  user: UserInfo | undefined,
): EdgeRequest {
  const agent = req.headers['user-agent'];
  const auditID = req.headers['audit-id'];
  return {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    sourceIp,
    userAgent: typeof agent === 'string' ? agent : undefined,
    ...(user ? { user } : {}),
    received,
    auditID: typeof auditID === 'string' && auditID !== '' ? auditID : undefined,
  };
}

/** The same for WebSocket watches, which never reach Fastify's hooks. */
export async function authenticateUpgrade(
  server: ApiServer,
  req: IncomingMessage,
): Promise<UserInfo | undefined> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const outcome = await authenticateHttp(server.authenticator, req, path);
  return outcome.ok ? outcome.user : undefined;
}
