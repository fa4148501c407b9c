import { All, Controller, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ApiRequest,
  ApiServer,
  MAX_BODY_BYTES,
  proxyKubelet,
  RawBody,
  readLimitedBody,
  writeWatchResponse,
} from '@flotilla/apiserver';
import { ApiError, apiErrors } from '@flotilla/api';
import { BODY_METHODS } from './api-body-parser';
import { API_SERVER } from './apiserver.tokens';
import { requestUser } from './auth-gate';

const BODY_METHOD_SET: ReadonlySet<string> = new Set(BODY_METHODS);

function hasBody(req: FastifyRequest): boolean {
  const { headers } = req.raw;
  return (
    BODY_METHOD_SET.has(req.method) &&
    (headers['transfer-encoding'] !== undefined ||
      (headers['content-length'] !== undefined && headers['content-length'] !== '0'))
  );
}

/** Every Kubernetes API path goes to the framework-free handler of @flotilla/apiserver. */
@Controller()
export class ApiController {
  constructor(@Inject(API_SERVER) private readonly server: ApiServer) {}

  @All(['api', 'api/*', 'apis', 'apis/*', 'version', 'openapi/*'])
  async serve(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const url = new URL(req.raw.url ?? '/', 'http://localhost');
    // Fastify leaves bodies unread (see installApiBodyParser).
    const raw: RawBody | undefined = hasBody(req)
      ? await readLimitedBody(req.raw, MAX_BODY_BYTES)
      : undefined;
    const apiReq: ApiRequest = {
      method: req.method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: raw?.body,
      bodyTooLarge: raw?.tooLarge,
      // Set by the auth gate in the secure mode; never taken from the request itself.
      user: requestUser(req.raw),
      sourceIp: req.ip,
    };
    const response = await this.server.handler.handle(apiReq);
    if (response.kind === 'json') {
      void reply
        .code(response.status)
        .headers({ 'content-type': 'application/json', ...(response.headers ?? {}) })
        .send(response.body === undefined ? undefined : Buffer.from(JSON.stringify(response.body)));
      return;
    }
    if (response.kind === 'bytes') {
      void reply
        .code(response.status)
        .headers({ 'content-type': response.contentType, ...(response.headers ?? {}) })
        .send(Buffer.from(response.body));
      return;
    }
    reply.hijack();
    if (response.kind === 'kubelet') {
      await proxyKubelet(this.server.kubelets, response.request, reply.raw).catch(
        (err: unknown) => {
          const status = (err instanceof ApiError ? err : apiErrors.internal(String(err))).status;
          reply.raw.writeHead(status.code as number, { 'content-type': 'application/json' });
          reply.raw.end(JSON.stringify(status));
        },
      );
      return;
    }
    const resource = url.pathname.split('/').filter(Boolean).slice(-1)[0] ?? '';
    await writeWatchResponse(req.raw, reply.raw, response, resource, this.server.watchSettings);
  }
}
