// nodes/{name}/proxy/{path}: any request (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS) passed to
// the node's kubelet at the same address and port as pods/log, with the path after `proxy`, the
// query string, the body and the client's headers except its credentials for the API server and
// the hop-by-hop ones. As Kubernetes' node proxy REST: `kubectl get --raw
// /api/v1/nodes/w1/proxy/metrics` reads the kubelet's /metrics.
import { apiErrors, type KubeObject } from '@flotilla/api';
import { kubeletEndpointOf, type KubeletRequest } from './pod-kubelet';

/** What a nodes/proxy path asks: the node (as written, `[scheme:]name[:port]`) and the rest. */
export interface NodeProxyPath {
  /** The path segment after `nodes/`, decoded: the name, maybe with a scheme and a port. */
  id: string;
  /** The path on the kubelet, still percent-encoded, trailing slash kept ('/' when none). */
  rest: string;
}

const NODE_PROXY = /^\/api\/v1\/nodes\/([^/]+)\/proxy(\/.*)?$/;

/** /api/v1/nodes/<id>/proxy[/<rest>], or undefined for any other path. */
export function nodeProxyPath(path: string): NodeProxyPath | undefined {
  const m = NODE_PROXY.exec(path);
  if (!m) return undefined;
  return { id: decodeURIComponent(m[1]), rest: m[2] ?? '/' };
}

/** `name`, `name:port` or `scheme:name:port`, as Kubernetes splits a proxy id. */
export function splitNodeProxyId(id: string): { scheme?: string; name: string; port?: number } {
  const parts = id.split(':');
  const invalid = () => apiErrors.badRequest(`invalid node request "${id}"`);
  let scheme: string | undefined;
  let name: string;
  let port: string | undefined;
  if (parts.length === 1) [name] = parts;
  else if (parts.length === 2) [name, port] = parts;
  else if (parts.length === 3) [scheme, name, port] = parts;
  else throw invalid();
  if (name === '' || (scheme !== undefined && !['', 'http', 'https'].includes(scheme))) {
    throw invalid();
  }
  if (port === undefined || port === '') return { ...(scheme ? { scheme } : {}), name };
  const n = Number(port);
  if (!/^[0-9]+$/.test(port) || n < 1 || n > 65535) throw invalid();
  return { ...(scheme ? { scheme } : {}), name, port: n };
}

/** Hop-by-hop headers (RFC 9110 §7.6.1): they end at the API server, both ways. */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

/**
 * Also kept from the kubelet: the client's credentials and impersonation (the kubelet trusts the
 * API server's own certificate; Kubernetes drops these once it has authenticated the request),
 * and what the proxy sets itself.
 */
const DROPPED_REQUEST_HEADERS = new Set([
  ...HOP_BY_HOP,
  'host',
  'content-length',
  'authorization',
  'cookie',
]);
const DROPPED_RESPONSE_HEADERS = new Set(HOP_BY_HOP);

type HeaderMap = Record<string, string | string[] | undefined>;

function filterHeaders(
  headers: HeaderMap,
  dropped: ReadonlySet<string>,
  droppedPrefix?: string,
): Record<string, string | string[]> {
  // Connection may name more headers that are only for this hop.
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string | string[]> = {};
  for (const [raw, value] of Object.entries(headers)) {
    const name = raw.toLowerCase();
    if (value === undefined || dropped.has(name) || named.has(name)) continue;
    if (droppedPrefix && name.startsWith(droppedPrefix)) continue;
    out[name] = value;
  }
  return out;
}

/** The client's headers as the kubelet should see them. */
export function kubeletRequestHeaders(headers: HeaderMap): Record<string, string | string[]> {
  return filterHeaders(headers, DROPPED_REQUEST_HEADERS, 'impersonate-');
}

/** The kubelet's answer headers as the client should see them. */
export function clientResponseHeaders(headers: HeaderMap): Record<string, string | string[]> {
  return filterHeaders(headers, DROPPED_RESPONSE_HEADERS);
}

export interface NodeProxyInput {
  method: string;
  /** From nodeProxyPath. */
  target: NodeProxyPath;
  query: URLSearchParams;
  headers: HeaderMap;
  body?: Buffer;
}

/**
 * The request on the node's kubelet. Without a path after `proxy`, a `path` query parameter
 * names it (NodeProxyOptions.path). A port other than the kubelet's is refused: only the
 * kubelet is reached through this proxy here.
 */
export function nodeProxyRequest(node: KubeObject, input: NodeProxyInput): KubeletRequest {
  const id = splitNodeProxyId(input.target.id);
  const endpoint = kubeletEndpointOf(node);
  if (id.port !== undefined && id.port !== endpoint.port) {
    throw apiErrors.badRequest(
      `node ${endpoint.node}: only its kubelet port (${endpoint.port}) is proxied, not ${id.port}`,
    );
  }
  let rest = input.target.rest;
  const query = new URLSearchParams(input.query);
  const named = query.get('path');
  if (rest === '/' && named) {
    rest = encodeURI(named.startsWith('/') ? named : `/${named}`);
    query.delete('path');
  }
  const search = query.toString();
  return {
    endpoint,
    path: search ? `${rest}?${search}` : rest,
    method: input.method,
    headers: kubeletRequestHeaders(input.headers),
    body: input.body,
    relayHeaders: true,
  };
}
