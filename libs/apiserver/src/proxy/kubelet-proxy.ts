// The API server's one way to its nodes' kubelets: pods/log is a proxied GET, nodes/proxy any
// proxied request, pods/exec, attach and portforward a proxied upgrade. SPDY/3.1 and the
// WebSocket protocols the runtime speaks go through byte for byte; kubectl's newer WebSocket
// protocols are served here and spoken to the kubelet as SPDY: v5.channel.k8s.io exec/attach
// translated (remotecommand-translator), SPDY tunnelled in WebSocket for port-forward unwrapped
// (portforward-tunnel). Upgrades through nodes/proxy pass through as they came.
// Every connection starts in KubeletDialer, with the API server's client certificate.
// With the kubelets' CA (--kubelet-certificate-authority) it speaks only TLS and refuses a kubelet
// whose serving certificate does not chain to that CA or does not name the address it dialled.
// Without it a kubelet may serve HTTPS (not verified, as Kubernetes without that flag) or plain
// HTTP; the dialer tries TLS and remembers.
import { apiErrors, ApiError } from '@flotilla/api';
import {
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import type { UserInfo } from '../auth/user-info';
import type { ApiRequest } from '../http/api-handler';
import { clientResponseHeaders, nodeProxyPath, type NodeProxyInput } from './node-proxy';
import type { KubeletEndpoint, KubeletRequest, PodStreamSubresource } from './pod-kubelet';
import { relayTunnel, SPDY_TUNNEL_PREFIX, tunnelledSpdyProtocols } from './portforward-tunnel';
import {
  REMOTE_COMMAND_SPDY_PROTOCOL,
  REMOTE_COMMAND_V5,
  streamsFromQuery,
  translateRemoteCommand,
} from './remotecommand-translator';
import {
  readRefusalBody,
  requestSpdyUpgrade,
  switchedToSpdy,
  type UpgradeAnswer,
} from './spdy/spdy-upgrade';

export interface KubeletDialerOptions {
  /** TLS settings toward kubelets: CA to verify them, client certificate to present. */
  tls?: Pick<ConnectionOptions, 'ca' | 'cert' | 'key'> & { verify?: boolean };
  connectTimeoutMs?: number;
}

type Scheme = 'https' | 'http';

/** Errors that mean "nothing listens there", as opposed to "that is no TLS server". */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

export class KubeletDialer {
  private readonly schemes = new Map<string, Scheme>();
  private readonly timeoutMs: number;

  constructor(private readonly options: KubeletDialerOptions = {}) {
    this.timeoutMs = options.connectTimeoutMs ?? 10_000;
  }

  /** A connected socket to the kubelet (TLS when it speaks TLS). */
  async connect(endpoint: KubeletEndpoint): Promise<Socket> {
    const key = `${endpoint.host}:${endpoint.port}`;
    const known = this.schemes.get(key);
    if (this.options.tls?.verify === true) {
      // A verified kubelet or none: never plain HTTP after a certificate that did not pass.
      return this.secure(endpoint).catch((err: NodeJS.ErrnoException) => {
        if (UNREACHABLE.has(err.code ?? '')) throw unreachable(endpoint, err);
        throw apiErrors.serviceUnavailable(
          `the kubelet of node ${endpoint.node} at ${endpoint.host}:${endpoint.port} is not trusted: ` +
            `its serving certificate does not pass --kubelet-certificate-authority (${err.message})`,
        );
      });
    }
    try {
      if (known === 'http') return await this.plain(endpoint);
      try {
        const socket = await this.secure(endpoint);
        this.schemes.set(key, 'https');
        return socket;
      } catch (err) {
        if (known === 'https' || UNREACHABLE.has((err as NodeJS.ErrnoException).code ?? '')) {
          throw err;
        }
        const socket = await this.plain(endpoint);
        this.schemes.set(key, 'http');
        return socket;
      }
    } catch (err) {
      throw unreachable(endpoint, err as Error);
    }
  }

  private secure(e: KubeletEndpoint): Promise<Socket> {
    const tls = this.options.tls ?? {};
    return this.settle(
      tlsConnect({
        host: e.host,
        port: e.port,
        ALPNProtocols: ['http/1.1'],
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        rejectUnauthorized: tls.verify === true,
      }),
      'secureConnect',
    );
  }

  private plain(e: KubeletEndpoint): Promise<Socket> {
    return this.settle(netConnect({ host: e.host, port: e.port }), 'connect');
  }

  private settle(socket: Socket, ready: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
      }, this.timeoutMs);
      socket.once(ready, () => {
        clearTimeout(timer);
        socket.removeListener('error', fail);
        resolve(socket);
      });
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      socket.once('error', fail);
    });
  }
}

function unreachable(e: KubeletEndpoint, err: Error): ApiError {
  return apiErrors.serviceUnavailable(
    `the kubelet of node ${e.node} at ${e.host}:${e.port} cannot be reached: ${err.message}`,
  );
}

/**
 * Sends the request to the kubelet and streams its answer (status, headers, body) to res; ends
 * when the kubelet ends (a followed log: when the container stops) or the client leaves.
 */
export async function proxyKubelet(
  dialer: KubeletDialer,
  request: KubeletRequest,
  res: ServerResponse,
): Promise<void> {
  const { endpoint } = request;
  const socket = await dialer.connect(endpoint);
  await new Promise<void>((resolve) => {
    const body = request.body && request.body.length > 0 ? request.body : undefined;
    const upstream = httpRequest(
      {
        createConnection: () => socket,
        method: request.method ?? 'GET',
        path: request.path,
        headers: {
          ...(request.headers ?? { accept: '*/*' }),
          host: `${endpoint.host}:${endpoint.port}`,
          ...(body ? { 'content-length': String(body.length) } : {}),
        },
      },
      (answer) => {
        res.writeHead(
          answer.statusCode ?? 502,
          request.relayHeaders
            ? clientResponseHeaders(answer.headers)
            : { 'content-type': answer.headers['content-type'] ?? 'text/plain' },
        );
        res.flushHeaders();
        answer.pipe(res);
        answer.on('end', resolve);
        answer.on('error', () => (res.destroy(), resolve()));
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent) {
        const s = unreachable(endpoint, err).status;
        res
          .writeHead(s.code as number, { 'content-type': 'application/json' })
          .end(JSON.stringify(s));
      } else {
        res.destroy();
      }
      resolve();
    });
    // The response's close: it ended, or the client went away (a follower stops here).
    res.on('close', () => {
      socket.destroy();
      resolve();
    });
    upstream.end(body);
  });
}

/** Replays the client's upgrade request to the kubelet and joins the two connections. */
export async function proxyKubeletUpgrade(
  dialer: KubeletDialer,
  endpoint: KubeletEndpoint,
  path: string,
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
): Promise<void> {
  const upstream = await dialer.connect(endpoint);
  const lines = [`${req.method ?? 'GET'} ${path} HTTP/1.1`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    // The client's credentials are for the API server, not for the kubelet.
    if (name === 'host' || name === 'authorization' || name === 'cookie') continue;
    if (name.startsWith('impersonate-')) continue;
    lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  }
  lines.push(`Host: ${endpoint.host}:${endpoint.port}`);
  upstream.setNoDelay(true);
  upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (head.length > 0) upstream.write(head);
  client.pipe(upstream);
  upstream.pipe(client);
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
}

/** A connection to the kubelet upgraded to SPDY/3.1, or the kubelet's refusal as an ApiError. */
export async function openKubeletSpdy(
  dialer: KubeletDialer,
  endpoint: KubeletEndpoint,
  path: string,
  protocols: readonly string[],
): Promise<{ socket: Socket; answer: UpgradeAnswer }> {
  const socket = await dialer.connect(endpoint);
  socket.setNoDelay(true);
  try {
    const answer = await requestSpdyUpgrade(socket, {
      path,
      host: `${endpoint.host}:${endpoint.port}`,
      protocols,
    });
    if (switchedToSpdy(answer)) return { socket, answer };
    const body = (await readRefusalBody(socket, answer)).toString('utf8');
    throw kubeletRefusal(endpoint, answer.status, body);
  } catch (err) {
    socket.destroy();
    if (err instanceof ApiError) throw err;
    throw apiErrors.serviceUnavailable(
      `the kubelet of node ${endpoint.node} at ${endpoint.host}:${endpoint.port}: ${(err as Error).message}`,
    );
  }
}

/** The kubelet's own Status when it sent one, else its text under its status code. */
function kubeletRefusal(endpoint: KubeletEndpoint, code: number, body: string): ApiError {
  try {
    const status = JSON.parse(body) as { kind?: string; message?: string; reason?: string };
    if (status.kind === 'Status' && status.message) {
      return new ApiError(code, status.reason ?? 'BadRequest', status.message);
    }
  } catch {
    // not JSON: the text itself
  }
  return new ApiError(
    code >= 400 ? code : 502,
    code >= 400 && code < 500 ? 'BadRequest' : 'InternalError',
    body.trim() || `the kubelet of node ${endpoint.node} refused the stream (HTTP ${code})`,
  );
}

/** The subprotocols of a WebSocket upgrade, or undefined for any other upgrade (SPDY). */
export function offeredWebSocketProtocols(req: IncomingMessage): string[] | undefined {
  if (String(req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return undefined;
  return String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/** Writes a Status answer on a socket whose upgrade is refused, then closes it. */
export function refuseUpgrade(socket: Duplex, err: ApiError): void {
  const text = JSON.stringify(err.status);
  socket.end(
    `HTTP/1.1 ${err.code} ${err.status.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

/** /api/v1/namespaces/<ns>/pods/<name>/<exec|attach|portforward>, or undefined. */
export function podStreamPath(
  pathname: string,
): { namespace: string; name: string; sub: 'exec' | 'attach' | 'portforward' } | undefined {
  const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)\/?$/.exec(
    pathname,
  );
  if (!m) return undefined;
  return {
    namespace: decodeURIComponent(m[1]),
    name: decodeURIComponent(m[2]),
    sub: m[3] as 'exec' | 'attach' | 'portforward',
  };
}

export interface PodStreamDeps {
  resolve: (
    namespace: string,
    name: string,
    sub: PodStreamSubresource,
    query: URLSearchParams,
  ) => Promise<KubeletRequest>;
  /** nodes/<id>/proxy/<rest> upgrades (e.g. a kubelet's /exec reached by node): where they go. */
  resolveNodeProxy?: (input: NodeProxyInput) => Promise<KubeletRequest>;
  dialer: KubeletDialer;
  /**
   * When given: who the upgrade request is from; undefined refuses it with 401 before anything
   * is proxied. Then `authorize` decides (403), as for any request on the path.
   */
  authenticate?: (req: IncomingMessage) => Promise<UserInfo | undefined>;
  authorize?: (req: ApiRequest) => Promise<void>;
  /** Each stream once proxied; `via` says how (passthrough, websocket-v5-to-spdy, spdy-tunnel). */
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

/** How a pod stream reaches the kubelet. */
export type PodStreamVia = 'passthrough' | 'websocket-v5-to-spdy' | 'spdy-tunnel';

/** At most this much in one WebSocket message (a SPDY frame is at most 16 MiB anyway). */
const MAX_WEBSOCKET_MESSAGE = 16 * 1024 * 1024;

/**
 * pods/exec, pods/attach and pods/portforward (and upgrades through nodes/proxy) on the API
 * server's 'upgrade' event: the request goes to the kubelet as it came (the kubelet and the
 * runtime answer the protocol).
 */
export function attachPodStreams(server: Server, deps: PodStreamDeps): () => void {
  // Upgraded connections are no longer the HTTP server's: closed here when detached.
  const open = new Set<Duplex>();
  // The subprotocol each translated upgrade answers with, decided before the handshake.
  const chosen = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_WEBSOCKET_MESSAGE,
    perMessageDeflate: false,
    handleProtocols: (_offered, req) => chosen.get(req) ?? false,
  });
  const accept = (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    then: (ws: WebSocket) => void,
  ) => wss.handleUpgrade(req, socket, head, then);
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const target = podStreamPath(url.pathname);
    const byNode = target ? undefined : nodeProxyPath(url.pathname);
    if (!target && !(byNode && deps.resolveNodeProxy)) return;
    socket.on('error', () => undefined);
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    void (async () => {
      const user = deps.authenticate ? await deps.authenticate(req) : undefined;
      if (deps.authenticate && user === undefined) {
        throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      }
      await deps.authorize?.({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        user,
      });
      const kubelet = target
        ? await deps.resolve(target.namespace, target.name, target.sub, url.searchParams)
        : await deps.resolveNodeProxy!({
            method: req.method ?? 'GET',
            target: byNode!,
            query: url.searchParams,
            headers: req.headers,
          });
      if (!target) {
        deps.log?.('node proxy stream', {
          node: kubelet.endpoint.node,
          path: kubelet.path.replace(/\?.*$/, ''),
          via: 'passthrough',
          upgrade: String(req.headers.upgrade ?? ''),
        });
        await proxyKubeletUpgrade(deps.dialer, kubelet.endpoint, kubelet.path, req, socket, head);
        return;
      }
      const offered = offeredWebSocketProtocols(req);
      const log = (via: PodStreamVia, protocol?: string) =>
        deps.log?.('pod stream', {
          pod: `${target.namespace}/${target.name}`,
          subresource: target.sub,
          node: kubelet.endpoint.node,
          via,
          upgrade: String(req.headers.upgrade ?? ''),
          ...(protocol ? { protocol } : {}),
        });
      if (offered?.includes(REMOTE_COMMAND_V5) && target.sub !== 'portforward') {
        log('websocket-v5-to-spdy', REMOTE_COMMAND_V5);
        chosen.set(req, REMOTE_COMMAND_V5);
        accept(req, socket, head, (ws) => {
          void translateRemoteCommand(ws, {
            streams: streamsFromQuery(url.searchParams),
            connect: async () => {
              const { socket: upstream, answer } = await openKubeletSpdy(
                deps.dialer,
                kubelet.endpoint,
                kubelet.path,
                [REMOTE_COMMAND_SPDY_PROTOCOL],
              );
              return { socket: upstream, rest: answer.rest };
            },
          });
        });
        return;
      }
      const tunnelled = offered ? tunnelledSpdyProtocols(offered) : [];
      if (target.sub === 'portforward' && tunnelled.length > 0) {
        const { socket: upstream, answer } = await openKubeletSpdy(
          deps.dialer,
          kubelet.endpoint,
          kubelet.path,
          tunnelled,
        );
        const agreed = answer.headers['x-stream-protocol-version']?.trim() || tunnelled[0];
        log('spdy-tunnel', SPDY_TUNNEL_PREFIX + agreed);
        chosen.set(req, SPDY_TUNNEL_PREFIX + agreed);
        // "SPDY/3.1+portforward.k8s.io" is no RFC 6455 token ('/'), which ws refuses to parse;
        // it answers with whatever handleProtocols returns, so it is shown a token instead.
        req.headers['sec-websocket-protocol'] = 'spdy-tunnel';
        let joined = false;
        socket.once('close', () => {
          if (!joined) upstream.destroy();
        });
        accept(req, socket, head, (ws) => {
          joined = true;
          relayTunnel(ws, upstream, answer.rest);
        });
        return;
      }
      log('passthrough');
      await proxyKubeletUpgrade(deps.dialer, kubelet.endpoint, kubelet.path, req, socket, head);
    })().catch((err) => {
      refuseUpgrade(socket, err instanceof ApiError ? err : apiErrors.internal(String(err)));
    });
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    for (const socket of open) socket.destroy();
    wss.close();
  };
}
