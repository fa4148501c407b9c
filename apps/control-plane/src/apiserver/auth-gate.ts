import type { IncomingMessage } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  ApiServer,
  authenticateHttp,
  authorizePath,
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

/**
 * In the secure mode, every request on the API port passes here first: authenticated (401
 * otherwise), and, outside the REST API (health, /metrics), authorized as a non-resource
 * request (403 otherwise). The insecure mode installs nothing: every request is allowed.
 */
export function installAuthGate(app: NestFastifyApplication, server: ApiServer): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (req, reply) => {
    const path = new URL(req.raw.url ?? '/', 'http://localhost').pathname;
    let outcome: GateOutcome = await authenticateHttp(server.authenticator, req.raw, path);
    if (outcome.ok && !REST.test(path)) {
      await server.authorizer.ready?.();
      outcome = authorizePath(server.authorizer, outcome.user, req.method, path);
    }
    if (!outcome.ok) {
      return reply
        .code(outcome.status)
        .header('content-type', 'application/json')
        .send(JSON.stringify(outcome.body));
    }
    identities.set(req.raw, outcome.user);
  });
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
