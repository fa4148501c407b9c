// One master as the HTTP transport sees it: its URL, TLS settings, credentials and connection
// pools. Unary requests share a bounded keep-alive pool; each watch holds its own connection from
// a second pool so watches never starve requests; liveness pings use a third, one connection.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createSecureContext, SecureContext } from 'node:tls';

export interface TlsSettings {
  /** PEM of the certificate authorities to trust; the system's when unset. */
  ca?: Buffer | string;
  /** PEM client certificate and key (mutual TLS). */
  cert?: Buffer | string;
  key?: Buffer | string;
  insecureSkipVerify?: boolean;
  /** Name to check the server certificate against (and SNI), when not the host of the URL. */
  serverName?: string;
}

/** Supplies the Authorization header; called per request so a token file can be re-read. */
export type AuthorizationSource = () => string | undefined;

export interface EndpointConfig {
  /** http://host:port or https://host:port, optionally with a path prefix. */
  server: string;
  tls?: TlsSettings;
  authorization?: AuthorizationSource;
}

export interface PoolSettings {
  /** Connections per master for unary requests (more requests queue). */
  maxSockets: number;
  /** Idle keep-alive connections kept per master. */
  maxFreeSockets: number;
  /** TCP keepalive probes start after this much idle time on a connection. */
  tcpKeepAliveMs: number;
}

export class Endpoint {
  readonly url: string;
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
  readonly basePath: string;
  readonly requestAgent: HttpAgent;
  readonly watchAgent: HttpAgent;
  readonly pingAgent: HttpAgent;
  readonly authorization: AuthorizationSource | undefined;

  constructor(config: EndpointConfig, pool: PoolSettings) {
    const url = parseServerUrl(config.server);
    this.secure = url.protocol === 'https:';
    this.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = url.port ? Number(url.port) : this.secure ? 443 : 80;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.url = `${url.protocol}//${url.host}${this.basePath}`;
    this.authorization = config.authorization;
    const tls = config.tls ?? {};
    const credentials = this.secure ? sharedCredentials(tls) : undefined;
    const make = (maxSockets: number, maxFreeSockets: number) => {
      const common = {
        keepAlive: true,
        keepAliveMsecs: pool.tcpKeepAliveMs,
        maxSockets,
        maxFreeSockets,
        scheduling: 'lifo' as const,
      };
      return this.secure
        ? new HttpsAgent({
            ...common,
            ...credentials,
            rejectUnauthorized: !tls.insecureSkipVerify,
            servername: tls.serverName,
          })
        : new HttpAgent(common);
    };
    this.requestAgent = make(pool.maxSockets, pool.maxFreeSockets);
    this.watchAgent = make(Infinity, 0);
    this.pingAgent = make(1, 1);
  }

  /** Drops every pooled connection (idle and in use). */
  destroy(): void {
    for (const agent of [this.requestAgent, this.watchAgent, this.pingAgent]) agent.destroy();
  }
}

/**
 * The CA, certificate and key as one SecureContext for every connection to this master. Given
 * as separate options, each new connection parses the PEMs into a fresh context (~1.5 ms of
 * CPU per handshake), and the agent turns the three into strings again on every request to name
 * its pool. PEMs that do not parse stay separate options: the connection fails with OpenSSL's
 * message, as before.
 */
function sharedCredentials(
  tls: TlsSettings,
): { secureContext: SecureContext } | Pick<TlsSettings, 'ca' | 'cert' | 'key'> {
  const own = { ca: tls.ca, cert: tls.cert, key: tls.key };
  try {
    return { secureContext: createSecureContext(own) };
  } catch {
    return own;
  }
}

/** The server URL of a kubeconfig cluster or a --server flag; a clear error when it is not one. */
export function parseServerUrl(server: string): URL {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new Error(`API server ${JSON.stringify(server)} is not a URL (want https://host:port)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`API server ${server}: scheme ${url.protocol} is not http or https`);
  if (url.search || url.hash) throw new Error(`API server ${server}: has a query or fragment`);
  return url;
}
