// exec, attach and port-forward on the node: the kubelet asks the runtime (CRI Exec, Attach,
// PortForward) for a one-time URL on its streaming server and hands the client's upgrade request
// (SPDY/3.1 or WebSocket) to it unchanged; from then on bytes flow both ways untouched.
import type { IncomingMessage } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';

/** The stream protocols containerd's streaming server speaks over WebSocket (Kubernetes' v1-v4). */
const RUNTIME_WEBSOCKET_PROTOCOLS: Record<'remotecommand' | 'portforward', readonly string[]> = {
  remotecommand: [
    'v4.channel.k8s.io',
    'v4.base64.channel.k8s.io',
    'channel.k8s.io',
    'base64.channel.k8s.io',
  ],
  portforward: ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'],
};

export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/**
 * Why the runtime cannot take this WebSocket upgrade, or undefined when it can (or it is SPDY).
 * kubectl 1.32's v5.channel.k8s.io exec and SPDY-over-WebSocket port-forward, which containerd
 * 1.6 does not speak, reach the kubelet as SPDY: the API server translates them. A client that
 * sends them to the kubelet itself is refused with 400 before any upgrade (kubectl would then
 * fall back to SPDY/3.1).
 */
export function webSocketRefusal(
  req: IncomingMessage,
  kind: 'remotecommand' | 'portforward',
): string | undefined {
  if (!isWebSocketUpgrade(req)) return undefined;
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (offered.length === 0) return undefined;
  const supported = RUNTIME_WEBSOCKET_PROTOCOLS[kind];
  if (offered.some((p) => supported.includes(p))) return undefined;
  return `the container runtime's streaming server does not speak ${offered.join(', ')} over WebSocket; use SPDY/3.1 or one of ${supported.join(', ')}`;
}

/** Writes an HTTP error answer on a socket whose upgrade is refused, then closes it. */
export function refuseUpgrade(socket: Duplex, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  const reason =
    {
      400: 'Bad Request',
      401: 'Unauthorized',
      403: 'Forbidden',
      404: 'Not Found',
      500: 'Internal Server Error',
    }[code] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

export interface ForwardOptions {
  /** For an https target: whether its certificate must verify (and against what). */
  tls?: {
    rejectUnauthorized: boolean;
    ca?: string | Buffer;
    cert?: string | Buffer;
    key?: string | Buffer;
  };
  /** Called when the target cannot be reached (nothing was sent to the client yet). */
  onConnectError: (err: Error) => void;
}

/**
 * Replays the upgrade request to target (its path and query replace the client's) and joins the
 * two connections: the target's answer, 101 or an error, goes to the client as it comes.
 */
export function forwardUpgrade(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  target: URL,
  options: ForwardOptions,
): void {
  const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  const upstream: Socket =
    target.protocol === 'https:'
      ? tlsConnect({
          host,
          port,
          servername: /^[\d.]+$|:/.test(host) ? undefined : host,
          ALPNProtocols: ['http/1.1'],
          ...options.tls,
          rejectUnauthorized: options.tls?.rejectUnauthorized ?? true,
        })
      : netConnect({ host, port });
  let connected = false;
  const ready = target.protocol === 'https:' ? 'secureConnect' : 'connect';
  upstream.once(ready, () => {
    connected = true;
    upstream.setNoDelay(true);
    upstream.write(requestHead(req, target));
    if (head.length > 0) upstream.write(head);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  upstream.on('error', (err) => {
    if (!connected) options.onConnectError(err);
    else client.destroy();
  });
  client.on('error', () => upstream.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => {
    if (connected) client.destroy();
  });
}

function requestHead(req: IncomingMessage, target: URL): string {
  const lines = [`${req.method ?? 'GET'} ${target.pathname}${target.search} HTTP/1.1`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    if (name.toLowerCase() === 'host') continue;
    lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
  }
  lines.push(`Host: ${target.host}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}
