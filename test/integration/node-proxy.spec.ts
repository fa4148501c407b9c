// nodes/{name}/proxy through the API server, as Kubernetes serves it: the real kubectl (`get
// --raw`) against an HTTPS API server on loopback with RBAC and x509 users (the same certificate
// reading as the kubelet's), whose node w1 has a real
// kubelet server over the fake runtime in HTTPS behind the cluster CA (the API server verifies it
// and presents its kubelet-client pair), and whose node "echo" is a stand-in kubelet that answers
// with what it received, so methods, bodies and headers are checked end to end.
import { mkdtempSync, rmSync } from 'node:fs';
import {
  createServer as createHttpsServer,
  request as httpsRequest,
  type Server,
} from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpTestServer, startTestApi, type TestApi } from '@flotilla/testing';
import { findResource, type KubeObject } from '@flotilla/api';
import { createCa, issueCertificate, type CertificatePair } from '@flotilla/pki';
import { KubeletServer, type Pod } from '@flotilla/kubelet';
import { FakeNode } from '../../libs/kubelet/src/testing/fake-node';
import { runTool } from './support/run-tool';
import { writeKubeconfig } from './support/kubeconfig-file';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
/** Users by client certificate: admin (system:masters), jane (no binding), ops (kubelet API). */
type Who = 'admin' | 'jane' | 'ops';
const users = {} as Record<Who, CertificatePair>;
let ca: CertificatePair;

let dir: string;
let api: TestApi;
let http: HttpTestServer;
let node: FakeNode;
let kubelet: KubeletServer;
let echo: Server;
interface Received {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
const received: Received[] = [];

const nodes = () => findResource('', 'v1', 'nodes')!;

async function createNode(name: string, port: number): Promise<void> {
  await api.client.resource(nodes()).create({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: {
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: port } },
    },
  });
}

/** A kubeconfig for the test server as `who`. */
function kubeconfig(who: Who): string {
  return writeKubeconfig(join(dir, `${who}.kubeconfig`), http.url, {
    caPem: ca.certPem,
    certPem: users[who].certPem,
    keyPem: users[who].keyPem,
  });
}

const kubectl = (who: Who, args: string[]) =>
  runTool('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig(who) } });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One HTTPS request to the API server as `who`. */
function call(
  path: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
  who: Who = 'admin',
): Promise<Answer> {
  const url = new URL(http.url);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: init.method ?? 'GET',
        // Node's client sends a DELETE body without a length unless told.
        headers: {
          ...init.headers,
          ...(init.body ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}),
        },
        ca: ca.certPem,
        cert: users[who].certPem,
        key: users[who].keyPem,
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

const json = (a: Answer) => JSON.parse(a.text) as Record<string, unknown>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'node-proxy-'));
  ca = await createCa({ commonName: 'cluster-ca' });
  const user = (name: string, organizations: string[] = []) =>
    issueCertificate(ca, { commonName: name, organizations, usage: 'client' });
  users.admin = await user('admin', ['system:masters']);
  users.jane = await user('jane');
  users.ops = await user('ops');
  const servingPair = (name: string): Promise<CertificatePair> =>
    issueCertificate(ca, {
      commonName: `system:node:${name}`,
      organizations: ['system:nodes'],
      hosts: [name, '127.0.0.1'],
      usage: 'server',
    });
  const client = await issueCertificate(ca, {
    commonName: 'kube-apiserver-kubelet-client',
    organizations: ['system:masters'],
    usage: 'client',
  });
  api = await startTestApi({
    authorization: 'RBAC',
    // As --kubelet-certificate-authority and --kubelet-client-certificate: TLS only, verified.
    kubelets: { tls: { ca: ca.certPem, cert: client.certPem, key: client.keyPem, verify: true } },
  });
  const apiServing = await issueCertificate(ca, {
    commonName: 'kube-apiserver',
    hosts: ['127.0.0.1'],
    usage: 'server',
  });
  http = await HttpTestServer.start(api.server, 0, {
    tls: { cert: apiServing.certPem, key: apiServing.keyPem, clientCa: ca.certPem },
    authenticate: true,
  });

  node = new FakeNode();
  node.runtime.setBehaviour(() => ({ logLines: ['one', 'two', 'three'] }));
  await node.start();
  const w1 = await servingPair('w1');
  kubelet = new KubeletServer({
    host: '127.0.0.1',
    port: 0,
    tls: { cert: w1.certPem, key: w1.keyPem, clientCa: ca.certPem },
    nodeName: 'w1',
    // The default authorizer has no masters to ask: only system:masters (the API server) gets in.
    metrics: async () => ({
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      body: '# TYPE kubelet_running_pods gauge\nkubelet_running_pods 1\n',
    }),
    pods: () => node.kubelet.pods(),
    runtime: node.runtime,
    layout: { podLogRoot: join(node.rootDir, 'logs') },
    logger: quiet,
  });
  await createNode('w1', await kubelet.start());
  const pod = (await api.client.resource(findResource('', 'v1', 'pods')!, 'default').create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web' },
    spec: { nodeName: 'w1', containers: [{ name: 'app', image: 'flotilla/demo-web' }] },
  } as KubeObject)) as unknown as Pod;
  node.kubelet.setPods([pod]);
  await node.advance(0);

  const echoPair = await servingPair('echo');
  echo = createHttpsServer({ cert: echoPair.certPem, key: echoPair.keyPem }, (req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(207, {
        'content-type': 'application/x-echo',
        'x-kubelet-answer': 'yes',
        'set-cookie': ['a=1', 'b=2'],
        connection: 'keep-alive',
      });
      res.end(req.method === 'HEAD' ? undefined : `${req.method} ${req.url} ${body}`);
    });
  });
  echo.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' });
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x-echo\r\n\r\n',
    );
    socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  await createNode('echo', (echo.address() as AddressInfo).port);
  // A node whose kubelet is down: nothing listens on port 1.
  await createNode('gone', 1);
  // ops: bound to Kubernetes' role for the kubelets' API.
  await api.client
    .resource(findResource('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings')!)
    .create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'ops-kubelet-api' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'system:kubelet-api-admin',
      },
      subjects: [{ kind: 'User', name: 'ops', apiGroup: 'rbac.authorization.k8s.io' }],
    });
}, 60_000);

afterAll(async () => {
  echo?.closeAllConnections();
  await new Promise((r) => echo?.close(r));
  await kubelet?.close();
  node?.cleanup();
  await http?.close();
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('kubectl get --raw /api/v1/nodes/<node>/proxy/...', () => {
  it("reads the kubelet's metrics, pods and health through the API server", async () => {
    const metrics = await kubectl('admin', ['get', '--raw', '/api/v1/nodes/w1/proxy/metrics']);
    expect(metrics.stderr).toBe('');
    expect(metrics.stdout).toBe('# TYPE kubelet_running_pods gauge\nkubelet_running_pods 1\n');
    const pods = await kubectl('admin', ['get', '--raw', '/api/v1/nodes/w1/proxy/pods']);
    const list = JSON.parse(pods.stdout) as { kind: string; items: Pod[] };
    expect(list.kind).toBe('PodList');
    expect(list.items.map((p) => p.metadata.name)).toEqual(['web']);
    const healthz = await kubectl('admin', ['get', '--raw', '/api/v1/nodes/w1/proxy/healthz']);
    expect(healthz).toMatchObject({ code: 0, stdout: 'ok' });
  });

  it('passes the query string on and the content type back', async () => {
    const res = await call('/api/v1/nodes/w1/proxy/containerLogs/default/web/app?tailLines=1');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.text).toBe('three\n');
    const metrics = await call('/api/v1/nodes/w1/proxy/metrics', {
      headers: { accept: 'text/plain;version=0.0.4' },
    });
    expect(metrics.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('refuses a user without nodes/proxy (403), lets one bound to system:kubelet-api-admin in', async () => {
    const jane = await kubectl('jane', ['get', '--raw', '/api/v1/nodes/w1/proxy/healthz']);
    expect(jane.code).not.toBe(0);
    expect(jane.stderr).toContain(
      'nodes "w1" is forbidden: User "jane" cannot get resource "nodes/proxy" in API group "" at the cluster scope',
    );
    const denied = await call('/api/v1/nodes/w1/proxy/pods', { method: 'POST' }, 'jane');
    expect(denied.status).toBe(403);
    expect(json(denied).message).toContain('cannot create resource "nodes/proxy"');
    expect(received).toEqual([]);
    const ops = await kubectl('ops', ['get', '--raw', '/api/v1/nodes/w1/proxy/healthz']);
    expect(ops).toMatchObject({ code: 0, stdout: 'ok' });
  });

  it('answers 503 naming the node when its kubelet is down, 404 for a node that does not exist', async () => {
    const down = await kubectl('admin', ['get', '--raw', '/api/v1/nodes/gone/proxy/metrics']);
    expect(down.code).not.toBe(0);
    expect(down.stderr).toMatch(
      /the kubelet of node gone at 127\.0\.0\.1:1 cannot be reached: .*ECONNREFUSED/,
    );
    const res = await call('/api/v1/nodes/gone/proxy/metrics');
    expect(res.status).toBe(503);
    expect(json(res)).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable' });
    const missing = await kubectl('admin', ['get', '--raw', '/api/v1/nodes/w9/proxy/metrics']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('nodes "w9" not found');
    expect((await call('/api/v1/nodes/w9/proxy/')).status).toBe(404);
  });

  it("passes the kubelet's own refusals on, status and Status body", async () => {
    const res = await call('/api/v1/nodes/w1/proxy/pods', { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(json(res)).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed' });
    const unknown = await call('/api/v1/nodes/w1/proxy/nothing-here');
    expect(unknown.status).toBe(404);
  });
});

describe('every method of the node proxy reaches the kubelet as sent', () => {
  beforeEach(() => (received.length = 0));

  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])(
    '%s carries its body and headers; the answer comes back whole',
    async (method) => {
      const res = await call('/api/v1/nodes/echo/proxy/some/path/?x=1&y=a%20b', {
        method,
        body: '{"hello":"kubelet"}',
        headers: {
          'content-type': 'application/json',
          'x-custom': 'kept',
          cookie: 'session=for-the-api-server',
          authorization: 'Bearer for-the-api-server',
          'impersonate-user': 'someone',
        },
      });
      expect(`${res.status} ${res.text}`).toBe(
        `207 ${method} /some/path/?x=1&y=a+b {"hello":"kubelet"}`,
      );
      expect(res.headers['x-kubelet-answer']).toBe('yes');
      expect(res.headers['content-type']).toBe('application/x-echo');
      expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      expect(res.text).toBe(`${method} /some/path/?x=1&y=a+b {"hello":"kubelet"}`);
      expect(received).toHaveLength(1);
      const got = received[0];
      expect(got.method).toBe(method);
      expect(got.headers['content-type']).toBe('application/json');
      expect(got.headers['x-custom']).toBe('kept');
      expect(got.headers['content-length']).toBe('19');
      // The client's credentials are for the API server.
      expect(got.headers.authorization).toBeUndefined();
      expect(got.headers.cookie).toBeUndefined();
      expect(got.headers['impersonate-user']).toBeUndefined();
    },
  );

  it('HEAD and OPTIONS reach it too; the root of the proxy is /', async () => {
    const head = await call('/api/v1/nodes/echo/proxy', { method: 'HEAD' });
    expect(head.status).toBe(207);
    expect(head.headers['x-kubelet-answer']).toBe('yes');
    expect(head.text).toBe('');
    const options = await call('/api/v1/nodes/echo/proxy/', { method: 'OPTIONS' });
    expect(options.text).toBe('OPTIONS / ');
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual(['HEAD /', 'OPTIONS /']);
  });

  it('other methods are refused at the API server', async () => {
    const trace = await call('/api/v1/nodes/echo/proxy/', { method: 'TRACE' });
    expect(trace.status).toBe(405);
    expect(received).toEqual([]);
  });

  it('OPTIONS needs a rule for every verb, as in Kubernetes', async () => {
    const res = await call('/api/v1/nodes/echo/proxy/', { method: 'OPTIONS' }, 'ops');
    expect(res.status).toBe(207);
    const jane = await call('/api/v1/nodes/echo/proxy/', { method: 'OPTIONS' }, 'jane');
    expect(jane.status).toBe(403);
  });
});

/** A raw upgrade request to the API server as `who`; resolves with the socket and the answer's head. */
function upgrade(path: string, who: Who): Promise<{ socket: TLSSocket; head: string }> {
  const url = new URL(http.url);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      {
        host: url.hostname,
        port: Number(url.port),
        ca: ca.certPem,
        cert: users[who].certPem,
        key: users[who].keyPem,
      },
      () => {
        socket.write(
          [
            `GET ${path} HTTP/1.1`,
            `Host: ${url.host}`,
            'Connection: Upgrade',
            'Upgrade: x-echo',
            '',
            '',
          ].join('\r\n'),
        );
      },
    );
    let text = '';
    socket.on('data', function first(d: Buffer) {
      text += d.toString();
      if (text.includes('\r\n\r\n')) {
        socket.off('data', first);
        resolve({ socket, head: text });
      }
    });
    socket.on('error', reject);
  });
}

describe('an upgrade through the node proxy', () => {
  beforeEach(() => (received.length = 0));

  it('joins the client to the kubelet, path and query kept', async () => {
    const { socket, head } = await upgrade('/api/v1/nodes/echo/proxy/stream/x?tty=1', 'admin');
    try {
      expect(head).toMatch(/^HTTP\/1.1 101 /);
      expect(received.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /stream/x?tty=1']);
      const echoed = new Promise<string>((r) =>
        socket.once('data', (d: Buffer) => r(d.toString())),
      );
      socket.write('frame');
      expect(await echoed).toBe('echo:frame');
    } finally {
      socket.destroy();
    }
  });

  it('is authorized first: 403 for a user without nodes/proxy', async () => {
    const { socket, head } = await upgrade('/api/v1/nodes/echo/proxy/stream', 'jane');
    socket.destroy();
    expect(head).toMatch(/^HTTP\/1.1 403 /);
    expect(received).toEqual([]);
  });
});

describe('discovery', () => {
  it('lists nodes/proxy with its verbs, as kubectl api-resources reads it', async () => {
    const list = json(await call('/api/v1')) as unknown as {
      resources: { name: string; kind: string; verbs: string[] }[];
    };
    expect(list.resources.find((r) => r.name === 'nodes/proxy')).toEqual({
      name: 'nodes/proxy',
      singularName: '',
      namespaced: false,
      kind: 'NodeProxyOptions',
      verbs: ['create', 'delete', 'get', 'patch', 'update'],
    });
  });
});
