// The kubelet server behind a client CA: who gets /metrics and /pods, decided per request by the
// authorizer (a SubjectAccessReview to the masters, faked here), with Kubernetes' 401 and 403.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeNode } from '../testing/fake-node';
import { pod } from '../testing/fixtures';
import { KubeletAuthorizer, type NodeAttributes, type KubeletUser } from './kubelet-authorizer';
import { KubeletServer } from './kubelet-server';

interface CertificatePair {
  certPem: string;
  keyPem: string;
}

// openssl makes the test's CA and pairs (libs/kubelet takes only pki's client-identity reader).
const dir = mkdtempSync(join(tmpdir(), 'kubelet-authz-'));
let serial = 0;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

function createCa(name: string): CertificatePair {
  const [key, crt] = [join(dir, `${name}.key`), join(dir, `${name}.crt`)];
  openssl([
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
    ...['-days', '1', '-subj', `/CN=${name}`, '-keyout', key, '-out', crt],
  ]);
  return { certPem: readFileSync(crt, 'utf8'), keyPem: readFileSync(key, 'utf8') };
}

/** subject: /CN=user/O=group...; server: a serving pair for 127.0.0.1. */
function issue(ca: CertificatePair, subject: string, server = false): CertificatePair {
  const n = `leaf${++serial}`;
  const f = (ext: string) => join(dir, `${n}.${ext}`);
  writeFileSync(f('ca.crt'), ca.certPem);
  writeFileSync(f('ca.key'), ca.keyPem);
  writeFileSync(
    f('ext'),
    server
      ? 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'
      : 'extendedKeyUsage=clientAuth\n',
  );
  openssl([
    ...['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
    ...['-subj', subject, '-keyout', f('key'), '-out', f('csr')],
  ]);
  openssl([
    ...['x509', '-req', '-in', f('csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key')],
    ...['-set_serial', String(serial), '-days', '1', '-extfile', f('ext'), '-out', f('crt')],
  ]);
  return { certPem: readFileSync(f('crt'), 'utf8'), keyPem: readFileSync(f('key'), 'utf8') };
}

let ca: CertificatePair;
let serving: CertificatePair;
const clients: Record<string, CertificatePair> = {};
let node: FakeNode;
let server: KubeletServer;
let port: number;
const asked: { user: KubeletUser; attrs: NodeAttributes }[] = [];

beforeAll(() => {
  ca = createCa('test-ca');
  serving = issue(ca, '/CN=w1', true);
  clients.apiserver = issue(ca, '/CN=kube-apiserver-kubelet-client/O=system:masters');
  clients.prometheus = issue(ca, '/CN=system:prometheus/O=system:monitoring');
  clients.bob = issue(ca, '/CN=bob');
  clients.nameless = issue(ca, '/O=system:monitoring');
  clients.stranger = issue(createCa('another-ca'), '/CN=system:prometheus/O=system:monitoring');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(async () => {
  asked.length = 0;
  node = new FakeNode();
  await node.start();
  node.kubelet.setPods([pod()]);
  await node.advance(0);
  server = new KubeletServer({
    host: '127.0.0.1',
    port: 0,
    tls: { cert: serving.certPem, key: serving.keyPem, clientCa: ca.certPem },
    nodeName: 'w1',
    // The masters' RBAC as the default policy has it: system:monitoring may get nodes/metrics.
    authorizer: new KubeletAuthorizer({
      review: async (user, attrs) => {
        asked.push({ user, attrs });
        return {
          allowed:
            user.groups.includes('system:monitoring') &&
            attrs.subresource === 'metrics' &&
            attrs.verb === 'get',
        };
      },
    }),
    metrics: async () => ({
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      body: 'flotilla_build_info{component="node-agent"} 1\n',
    }),
    pods: () => node.kubelet.pods(),
    runtime: node.runtime,
    layout: { podLogRoot: node.rootDir },
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  port = await server.start();
});

afterEach(async () => {
  await server.close();
  node.cleanup();
});

function get(
  path: string,
  client?: string,
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const pair = client ? clients[client] : undefined;
    httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        ca: ca.certPem,
        ...(pair ? { cert: pair.certPem, key: pair.keyPem } : {}),
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type']),
            body,
          }),
        );
      },
    )
      .on('error', reject)
      .end();
  });
}

describe('the kubelet server behind its client CA', () => {
  it('serves /metrics to an identity the masters allow nodes/metrics, asking about this node', async () => {
    const res = await get('/metrics', 'prometheus');
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain/);
    expect(res.body).toContain('flotilla_build_info{component="node-agent"} 1');
    expect(asked).toEqual([
      {
        user: {
          name: 'system:prometheus',
          groups: ['system:monitoring', 'system:authenticated'],
        },
        attrs: { verb: 'get', resource: 'nodes', subresource: 'metrics', name: 'w1' },
      },
    ]);
  });

  it('serves the container metrics as nodes/metrics: to prometheus, not to bob', async () => {
    for (const path of ['/metrics/resource', '/metrics/cadvisor']) {
      const ok = await get(path, 'prometheus');
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('container_cpu_usage_seconds_total{container="app",');
      const refused = await get(path, 'bob');
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body).message).toBe(
        'Forbidden (user=bob, verb=get, resource=nodes, subresource=metrics)',
      );
    }
    expect(asked.map((a) => a.attrs.subresource)).toEqual(['metrics', 'metrics']);
  });

  it('answers 403 with a Kubernetes Status naming user, verb and subresource', async () => {
    const pods = await get('/pods', 'prometheus');
    expect(pods.status).toBe(403);
    expect(JSON.parse(pods.body)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Forbidden (user=system:prometheus, verb=get, resource=nodes, subresource=proxy)',
      reason: 'Forbidden',
      code: 403,
    });
    const metrics = await get('/metrics', 'bob');
    expect(metrics.status).toBe(403);
    expect(JSON.parse(metrics.body).message).toBe(
      'Forbidden (user=bob, verb=get, resource=nodes, subresource=metrics)',
    );
  });

  it('answers 401 without a certificate, with one from another CA, or with one naming nobody', async () => {
    for (const client of [undefined, 'stranger', 'nameless']) {
      for (const path of ['/metrics', '/pods', '/healthz']) {
        const res = await get(path, client);
        expect(res.status).toBe(401);
        expect(JSON.parse(res.body)).toMatchObject({ reason: 'Unauthorized', code: 401 });
      }
    }
    const nameless = await get('/metrics', 'nameless');
    expect(JSON.parse(nameless.body).message).toBe(
      'a client certificate from the cluster CA is required: the certificate has no common name',
    );
    expect(asked).toEqual([]);
  });

  it('authorizes /healthz as nodes/proxy, as Kubernetes does', async () => {
    const denied = await get('/healthz', 'prometheus');
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body).message).toBe(
      'Forbidden (user=system:prometheus, verb=get, resource=nodes, subresource=proxy)',
    );
    expect(await get('/healthz', 'apiserver')).toMatchObject({ status: 200, body: 'ok' });
  });

  it('lets the API server identity read /pods without a review', async () => {
    const pods = await get('/pods', 'apiserver');
    expect(pods.status).toBe(200);
    expect(JSON.parse(pods.body).items).toHaveLength(1);
    expect((await get('/metrics', 'apiserver')).status).toBe(200);
    expect(asked).toEqual([]);
  });
});
