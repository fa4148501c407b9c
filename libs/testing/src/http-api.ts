// An ApiServer behind a real node:http (or node:https) server on loopback, served the way a
// master serves it (the framework-free handler, chunked watch streams, /readyz, optionally its
// authentication), with faults a test can inject: refuse (closed port), pause (accepts and never
// answers, like a stopped process) and kill (every connection reset, like kill -9).
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import {
  ApiRequest,
  ApiServer,
  attachPodStreams,
  MAX_BODY_BYTES,
  proxyKubelet,
  readLimitedBody,
  authenticateHttp,
  writeWatchResponse,
  type UserInfo,
} from '@flotilla/apiserver';
import type { ApiError } from '@flotilla/api';

export interface HttpTestServerOptions {
  /** HTTPS with this serving pair; with clientCa, client certificates from it are users. */
  tls?: { cert: string | Buffer; key: string | Buffer; clientCa?: string | Buffer };
  /**
   * Authenticate every request as a master's HTTP edge does (a verified client certificate or a
   * bearer token is a user; anonymous only on the public paths; anything else a 401). Without
   * it, requests carry no user (the insecure mode's, or anonymous under RBAC). kubectl sends
   * credentials only over HTTPS: give `tls` too.
   */
  authenticate?: boolean;
}

export class HttpTestServer {
  private paused = false;
  private ready = true;
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<ServerResponse>();
  /** The pod streams proxied so far, as the API server logged them (how each went: `via`). */
  readonly podStreams: Record<string, unknown>[] = [];
  private constructor(
    readonly api: ApiServer,
    private readonly http: Server,
    readonly url: string,
    private readonly options: HttpTestServerOptions,
  ) {
    // pods/exec, attach and portforward upgrades go to the pod's kubelet, as on a master.
    attachPodStreams(http, {
      resolve: (ns, name, sub, query) => api.kubeletRequest(ns, name, sub, query),
      resolveNodeProxy: (input) => api.nodeProxyRequest(input),
      dialer: api.kubelets,
      log: (_msg, fields) => this.podStreams.push(fields),
      ...(options.authenticate
        ? {
            authenticate: async (req) => {
              const path = new URL(req.url ?? '/', 'http://localhost').pathname;
              const outcome = await authenticateHttp(api.authenticator, req, path);
              return outcome.ok ? outcome.user : undefined;
            },
            authorize: (req) => api.handler.authorize(req),
          }
        : {}),
    });
    http.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      if (this.paused) freeze(s);
    });
  }

  /** Serves `api` on 127.0.0.1 (port 0: any free port, unless given). */
  static async start(
    api: ApiServer,
    port = 0,
    options: HttpTestServerOptions = {},
  ): Promise<HttpTestServer> {
    const ref: { self?: HttpTestServer } = {};
    const handler = (req: IncomingMessage, res: ServerResponse) => void ref.self!.serve(req, res);
    const tls = options.tls;
    // An HTTPS server serves requests and upgrades as an HTTP one does.
    const http = tls
      ? (createHttpsServer(
          {
            cert: tls.cert,
            key: tls.key,
            ...(tls.clientCa
              ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false }
              : {}),
          },
          handler,
        ) as unknown as Server)
      : createServer(handler);
    http.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, '127.0.0.1', () => resolve());
    });
    const bound = (http.address() as AddressInfo).port;
    const scheme = tls ? 'https' : 'http';
    ref.self = new HttpTestServer(api, http, `${scheme}://127.0.0.1:${bound}`, options);
    return ref.self;
  }

  /**
   * Like SIGSTOP: connections are still accepted (by the kernel) but nothing is read or written
   * any more, on new connections and open ones (watch streams included).
   */
  pause(): void {
    this.paused = true;
    for (const s of this.sockets) freeze(s);
  }

  resume(): void {
    this.paused = false;
    for (const s of this.sockets) {
      s.resume();
      while (s.writableCorked > 0) s.uncork();
    }
  }

  /** What /readyz answers: 200, or 500 like a master without a Raft leader (the API still serves). */
  setReady(ready: boolean): void {
    this.ready = ready;
  }

  /** Resets every open connection at once (what the peer of a killed process sees). */
  kill(): void {
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
  }

  /** Stops listening and resets every connection. */
  async close(): Promise<void> {
    this.kill();
    for (const res of this.held) res.destroy();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.paused) {
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/readyz' && !this.ready) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('[-]raft-leader failed');
      return;
    }
    if (url.pathname === '/readyz' || url.pathname === '/livez' || url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    let user: UserInfo | undefined;
    if (this.options.authenticate) {
      const outcome = await authenticateHttp(this.api.authenticator, req, url.pathname);
      if (!outcome.ok) {
        res.writeHead(outcome.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(outcome.body));
        return;
      }
      user = outcome.user;
    }
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'];
    const raw = hasBody ? await readLimitedBody(req, MAX_BODY_BYTES) : undefined;
    const apiReq: ApiRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: raw?.body,
      bodyTooLarge: raw?.tooLarge,
      user,
    };
    const response = await this.api.handler.handle(apiReq);
    if (this.paused) {
      this.held.add(res);
      return;
    }
    if (response.kind === 'json') {
      const body = response.body === undefined ? undefined : JSON.stringify(response.body);
      res.writeHead(response.status, {
        'content-type': 'application/json',
        ...(response.headers ?? {}),
      });
      res.end(body);
      return;
    }
    if (response.kind === 'bytes') {
      res.writeHead(response.status, {
        'content-type': response.contentType,
        ...(response.headers ?? {}),
      });
      res.end(Buffer.from(response.body));
      return;
    }
    if (response.kind === 'kubelet') {
      await proxyKubelet(this.api.kubelets, response.request, res).catch((err: ApiError) => {
        res.writeHead(err.code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(err.status));
      });
      return;
    }
    const resource = url.pathname.split('/').filter(Boolean).slice(-1)[0] ?? '';
    await writeWatchResponse(req, res, response, resource, this.api.watchSettings);
  }
}

function freeze(s: Socket): void {
  s.pause();
  s.cork();
}
