// From a merged kubeconfig to what the HTTP transport needs: the server of a context, its TLS
// settings and credentials; and the contexts that are masters of the same cluster.
import { readFileSync } from 'node:fs';
import type { EndpointConfig, TlsSettings } from '../transport/endpoint';
import { parseServerUrl } from '../transport/endpoint';
import { KubeconfigError } from './kubeconfig-error';
import type { ClusterEntry, Kubeconfig, Sourced, UserEntry } from './load';

export interface ContextConnection extends EndpointConfig {
  context: string;
  cluster: string;
  user: string | undefined;
  namespace: string;
  /** The file the context came from (for messages). */
  file: string;
}

export interface ResolveOptions {
  readFile?: (path: string) => Buffer;
  clock?: () => number;
}

/** How often a tokenFile is read again (client-go re-reads it every minute). */
const TOKEN_FILE_REFRESH_MS = 60_000;

/** The context by name, or the current one. */
export function resolveContext(
  config: Kubeconfig,
  name?: string,
  options: ResolveOptions = {},
): ContextConnection {
  const contextName = name ?? config.currentContext;
  const where = config.files.join(', ') || '(none)';
  if (!contextName) {
    const have = [...config.contexts.keys()];
    throw new KubeconfigError(
      `no current-context is set${have.length ? `; pick one of: ${have.join(', ')}` : ' and there are no contexts'}`,
      where,
    );
  }
  const ctx = config.contexts.get(contextName);
  if (!ctx) {
    const have = [...config.contexts.keys()];
    throw new KubeconfigError(
      `context "${contextName}" not found (have: ${have.join(', ') || 'none'})`,
      name === undefined ? (config.currentContextFile ?? where) : where,
    );
  }
  const clusterName = ctx.value.cluster;
  if (!clusterName)
    throw new KubeconfigError(`context "${contextName}" names no cluster`, ctx.file);
  const cluster = config.clusters.get(clusterName);
  if (!cluster)
    throw new KubeconfigError(
      `context "${contextName}" names cluster "${clusterName}", which is not defined`,
      ctx.file,
    );
  const userName = ctx.value.user;
  const user = userName ? config.users.get(userName) : undefined;
  if (userName && !user)
    throw new KubeconfigError(
      `context "${contextName}" names user "${userName}", which is not defined`,
      ctx.file,
    );
  const read = options.readFile ?? ((p: string) => readFileSync(p));
  const server = cluster.value.server;
  if (!server) throw new KubeconfigError(`cluster "${clusterName}" has no server`, cluster.file);
  try {
    parseServerUrl(server);
  } catch (err) {
    throw new KubeconfigError(`cluster "${clusterName}": ${(err as Error).message}`, cluster.file);
  }
  return {
    context: contextName,
    cluster: clusterName,
    user: userName,
    namespace: ctx.value.namespace || 'default',
    file: ctx.file,
    server,
    tls: tlsOf(cluster, user, read),
    authorization: user ? authorizationOf(user, read, options.clock ?? Date.now) : undefined,
  };
}

/**
 * The masters of the context's cluster: the context itself first, then every other context with
 * the same user, namespace and trust (same CA, same TLS verification) whose server differs. That
 * is what `flotilla up` writes (one context per master), and a rule that never joins two clusters
 * that trust different authorities.
 */
export function peerContexts(
  config: Kubeconfig,
  name?: string,
  options: ResolveOptions = {},
): ContextConnection[] {
  const self = resolveContext(config, name, options);
  const out = [self];
  const servers = new Set([normalize(self.server)]);
  const trust = trustOf(config, self.cluster);
  for (const [other, ctx] of config.contexts) {
    if (other === self.context) continue;
    if (ctx.value.user !== self.user) continue;
    if ((ctx.value.namespace || 'default') !== self.namespace) continue;
    if (!ctx.value.cluster || !config.clusters.has(ctx.value.cluster)) continue;
    if (trustOf(config, ctx.value.cluster) !== trust) continue;
    let peer: ContextConnection;
    try {
      peer = resolveContext(config, other, options);
    } catch {
      continue;
    }
    if (servers.has(normalize(peer.server))) continue;
    servers.add(normalize(peer.server));
    out.push(peer);
  }
  return out;
}

function trustOf(config: Kubeconfig, clusterName: string): string {
  const c = config.clusters.get(clusterName)!.value;
  const scheme = (c.server ?? '').split(':')[0];
  return JSON.stringify([
    scheme,
    c.certificateAuthorityData ?? '',
    c.certificateAuthority ?? '',
    Boolean(c.insecureSkipTlsVerify),
    c.tlsServerName ?? '',
  ]);
}

function normalize(server: string): string {
  return server.replace(/\/+$/, '').toLowerCase();
}

function tlsOf(
  cluster: Sourced<ClusterEntry>,
  user: Sourced<UserEntry> | undefined,
  read: (p: string) => Buffer,
): TlsSettings {
  const c = cluster.value;
  const tls: TlsSettings = {};
  if (c.certificateAuthorityData)
    tls.ca = decodeData(
      c.certificateAuthorityData,
      `cluster "${cluster.name}" certificate-authority-data`,
      cluster.file,
    );
  else if (c.certificateAuthority)
    tls.ca = readReferenced(
      read,
      c.certificateAuthority,
      `cluster "${cluster.name}" certificate-authority`,
      cluster.file,
    );
  if (c.insecureSkipTlsVerify) tls.insecureSkipVerify = true;
  if (c.tlsServerName) tls.serverName = c.tlsServerName;
  if (user) {
    const u = user.value;
    const what = `user "${user.name}"`;
    if (u.clientCertificateData)
      tls.cert = decodeData(u.clientCertificateData, `${what} client-certificate-data`, user.file);
    else if (u.clientCertificate)
      tls.cert = readReferenced(read, u.clientCertificate, `${what} client-certificate`, user.file);
    if (u.clientKeyData)
      tls.key = decodeData(u.clientKeyData, `${what} client-key-data`, user.file);
    else if (u.clientKey)
      tls.key = readReferenced(read, u.clientKey, `${what} client-key`, user.file);
    if (Boolean(tls.cert) !== Boolean(tls.key))
      throw new KubeconfigError(
        `${what} has a client certificate without its key, or a key without its certificate`,
        user.file,
      );
  }
  return tls;
}

function authorizationOf(
  user: Sourced<UserEntry>,
  read: (p: string) => Buffer,
  clock: () => number,
): (() => string | undefined) | undefined {
  const u = user.value;
  if (u.unsupported)
    throw new KubeconfigError(
      `user "${user.name}" authenticates with ${u.unsupported}, which this client does not run; use a token, a token file or a client certificate`,
      user.file,
    );
  if (u.token) {
    const header = `Bearer ${u.token}`;
    return () => header;
  }
  if (u.tokenFile) {
    const file = u.tokenFile;
    const readToken = () =>
      readReferenced(read, file, `user "${user.name}" tokenFile`, user.file)
        .toString('utf8')
        .trim();
    let token = readToken();
    let readAt = clock();
    return () => {
      if (clock() - readAt >= TOKEN_FILE_REFRESH_MS) {
        readAt = clock();
        try {
          token = readToken();
        } catch {
          // Keep the last token: a file being rewritten must not fail requests.
        }
      }
      return `Bearer ${token}`;
    };
  }
  if (u.username !== undefined || u.password !== undefined) {
    const header = `Basic ${Buffer.from(`${u.username ?? ''}:${u.password ?? ''}`).toString('base64')}`;
    return () => header;
  }
  return undefined;
}

function decodeData(data: string, what: string, file: string): Buffer {
  const clean = data.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1)
    throw new KubeconfigError(`${what} is not base64`, file);
  const bytes = Buffer.from(clean, 'base64');
  if (bytes.length === 0) throw new KubeconfigError(`${what} is empty`, file);
  return bytes;
}

function readReferenced(
  read: (p: string) => Buffer,
  path: string,
  what: string,
  file: string,
): Buffer {
  try {
    return read(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message);
    throw new KubeconfigError(`${what} ${path}: cannot read it: ${why}`, file);
  }
}
