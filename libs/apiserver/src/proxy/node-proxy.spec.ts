// nodes/proxy, the pure part: which node and path a request names, and the request the kubelet
// gets (its address and port from the Node, the query, the body, the headers it may see).
import { ApiError, type KubeObject } from '@flotilla/api';
import {
  clientResponseHeaders,
  kubeletRequestHeaders,
  nodeProxyPath,
  nodeProxyRequest,
  splitNodeProxyId,
} from './node-proxy';

const node = (status: Record<string, unknown>): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'w1' }, status }) as KubeObject;

const w1 = node({
  addresses: [
    { type: 'Hostname', address: 'w1' },
    { type: 'InternalIP', address: '10.239.1.1' },
  ],
  daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
});

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(400);
    return (err as ApiError).message;
  }
  throw new Error('no error');
}

describe('nodeProxyPath', () => {
  it.each([
    ['/api/v1/nodes/w1/proxy', { id: 'w1', rest: '/' }],
    ['/api/v1/nodes/w1/proxy/', { id: 'w1', rest: '/' }],
    ['/api/v1/nodes/w1/proxy/metrics', { id: 'w1', rest: '/metrics' }],
    ['/api/v1/nodes/w1/proxy/logs/', { id: 'w1', rest: '/logs/' }],
    ['/api/v1/nodes/w1/proxy/a%20b/c', { id: 'w1', rest: '/a%20b/c' }],
    ['/api/v1/nodes/https:w1:10250/proxy/pods', { id: 'https:w1:10250', rest: '/pods' }],
  ])('%s', (path, want) => {
    expect(nodeProxyPath(path)).toEqual(want);
  });

  it.each([
    '/api/v1/nodes/w1',
    '/api/v1/nodes/w1/status',
    '/api/v1/nodes/w1/proxyx/metrics',
    '/api/v1/namespaces/default/pods/p/proxy/x',
    '/apis/apps/v1/nodes/w1/proxy',
  ])('%s is no node proxy', (path) => {
    expect(nodeProxyPath(path)).toBeUndefined();
  });
});

describe('splitNodeProxyId', () => {
  it('reads name, name:port and scheme:name:port', () => {
    expect(splitNodeProxyId('w1')).toEqual({ name: 'w1' });
    expect(splitNodeProxyId('w1:10250')).toEqual({ name: 'w1', port: 10250 });
    expect(splitNodeProxyId('https:w1:10250')).toEqual({
      scheme: 'https',
      name: 'w1',
      port: 10250,
    });
    expect(splitNodeProxyId('w1:')).toEqual({ name: 'w1' });
  });

  it.each(['', ':10250', 'w1:port', 'w1:0', 'w1:70000', 'ftp:w1:21', 'a:b:c:d'])(
    '%j is a 400',
    (id) => {
      expect(badRequest(() => splitNodeProxyId(id))).toBe(`invalid node request "${id}"`);
    },
  );
});

describe('nodeProxyRequest', () => {
  const input = (
    path: string,
    query = '',
    more: Partial<Parameters<typeof nodeProxyRequest>[1]> = {},
  ) => ({
    method: 'GET',
    target: nodeProxyPath(path)!,
    query: new URLSearchParams(query),
    headers: {},
    ...more,
  });

  it("goes to the kubelet's port at the node's InternalIP, with the path and query", () => {
    const r = nodeProxyRequest(w1, input('/api/v1/nodes/w1/proxy/metrics', 'a=1&b=x%20y'));
    expect(r.endpoint).toEqual({ node: 'w1', host: '10.239.1.1', port: 10250 });
    expect(r.path).toBe('/metrics?a=1&b=x+y');
    expect(r.method).toBe('GET');
    expect(r.relayHeaders).toBe(true);
    expect(nodeProxyRequest(w1, input('/api/v1/nodes/w1/proxy')).path).toBe('/');
  });

  it('takes the path from ?path= when none follows proxy', () => {
    expect(nodeProxyRequest(w1, input('/api/v1/nodes/w1/proxy', 'path=healthz&x=1')).path).toBe(
      '/healthz?x=1',
    );
    expect(nodeProxyRequest(w1, input('/api/v1/nodes/w1/proxy/pods', 'path=/healthz')).path).toBe(
      '/pods?path=%2Fhealthz',
    );
  });

  it('carries the method and body, and the headers without credentials or hop-by-hop ones', () => {
    const body = Buffer.from('{"a":1}');
    const r = nodeProxyRequest(
      w1,
      input('/api/v1/nodes/w1/proxy/x', '', {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'content-length': '7',
          accept: 'text/plain',
          authorization: 'Bearer secret',
          cookie: 'a=b',
          'impersonate-user': 'admin',
          'impersonate-group': 'system:masters',
          connection: 'keep-alive, x-hop',
          'x-hop': 'only this hop',
          host: 'apiserver:6443',
          'user-agent': 'kubectl',
          te: 'trailers',
        },
      }),
    );
    expect(r.method).toBe('POST');
    expect(r.body).toBe(body);
    expect(r.headers).toEqual({
      'content-type': 'application/json',
      accept: 'text/plain',
      'user-agent': 'kubectl',
    });
  });

  it('accepts the kubelet port named in the id; any other port is a 400', () => {
    expect(nodeProxyRequest(w1, input('/api/v1/nodes/w1:10250/proxy/pods')).path).toBe('/pods');
    expect(badRequest(() => nodeProxyRequest(w1, input('/api/v1/nodes/w1:22/proxy/')))).toBe(
      'node w1: only its kubelet port (10250) is proxied, not 22',
    );
  });

  it('says why a node cannot be reached: no address, no kubelet port', () => {
    expect(badRequest(() => nodeProxyRequest(node({}), input('/api/v1/nodes/w1/proxy/')))).toBe(
      'node w1 has no address to reach its kubelet',
    );
    const portless = node({ addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] });
    expect(badRequest(() => nodeProxyRequest(portless, input('/api/v1/nodes/w1/proxy/')))).toBe(
      'node w1 does not report its kubelet port',
    );
  });
});

describe('clientResponseHeaders', () => {
  it('passes every header but the hop-by-hop ones', () => {
    expect(
      clientResponseHeaders({
        'content-type': 'text/plain; version=0.0.4',
        'content-length': '12',
        'set-cookie': ['a=1', 'b=2'],
        'transfer-encoding': 'chunked',
        connection: 'close',
        'keep-alive': 'timeout=5',
        date: 'Mon, 07 Dec 2026 21:00:00 GMT',
      }),
    ).toEqual({
      'content-type': 'text/plain; version=0.0.4',
      'content-length': '12',
      'set-cookie': ['a=1', 'b=2'],
      date: 'Mon, 07 Dec 2026 21:00:00 GMT',
    });
    expect(kubeletRequestHeaders({ Accept: 'x', Authorization: 'y' })).toEqual({ accept: 'x' });
  });
});
