// The secure mode end to end, on three real masters as `flotilla up` runs them by default: TLS
// on the API, etcd and peer ports from one cluster PKI, x509 and token authentication, RBAC.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CertificatePair,
  issueCertificate,
  issueUserCertificate,
  pkiPaths,
  readCa,
  rotateClusterPki,
  selfSignedCertificate,
} from '@flotilla/pki';
import { Packr } from 'msgpackr';
import { WebSocket } from 'ws';
import { renderKubeconfig } from '../../apps/flotilla/src/up/kubeconfig';
import { DEFAULT_AUDIT_POLICY } from '../../apps/flotilla/src/up/default-audit-policy';
import { MasterCluster } from './support/master-cluster';
import { tryGetText, waitFor } from './support/wait';

const run = promisify(execFile);

interface Answer {
  status: number;
  body: string;
}

describe('the secure mode (TLS, authentication, RBAC) on three masters', () => {
  let cluster: MasterCluster;
  let pki: ReturnType<typeof pkiPaths>;
  let ca: Buffer;
  let api: number;
  let auditPolicy: string;

  /** One HTTPS request to m1's API port as whoever the certificate or token says. */
  function call(
    path: string,
    o: {
      pair?: CertificatePair;
      token?: string;
      method?: string;
      body?: unknown;
      contentType?: string;
    } = {},
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const data = o.body === undefined ? undefined : JSON.stringify(o.body);
      const req = request(
        {
          host: '127.0.0.1',
          port: api,
          path,
          method: o.method ?? 'GET',
          ca,
          cert: o.pair?.certPem,
          key: o.pair?.keyPem,
          agent: false,
          headers: {
            ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
            ...(data ? { 'content-type': o.contentType ?? 'application/json' } : {}),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  }

  const admin = (): CertificatePair => ({
    certPem: readFileSync(pki.adminCert, 'utf8'),
    keyPem: readFileSync(pki.adminKey, 'utf8'),
  });

  beforeAll(async () => {
    // The audit policy flotilla up writes; each member logs to its own DATA/audit.log.
    const policyDir = mkdtempSync(join(tmpdir(), 'flotilla-audit-policy-'));
    auditPolicy = join(policyDir, 'audit-policy.yaml');
    writeFileSync(auditPolicy, DEFAULT_AUDIT_POLICY);
    cluster = await MasterCluster.start(3, ['--audit-policy-file', auditPolicy], undefined, [], {
      secure: true,
    });
    pki = pkiPaths(cluster.pkiDir!);
    ca = readFileSync(pki.caCert);
    api = cluster.ports.get('m1')!.api;
    await cluster.waitForApi();
  }, 120_000);

  afterAll(() => cluster?.shutdown());

  it('serves the API over HTTPS only: plain HTTP gets nothing', async () => {
    expect((await tryGetText(`http://127.0.0.1:${api}/healthz`))?.status).not.toBe(200);
    expect((await call('/livez')).body).toBe('ok');
  });

  it('answers anonymous requests only on the public paths, 401 with a Status elsewhere', async () => {
    expect((await call('/readyz')).status).toBe(200);
    expect((await call('/version')).status).toBe(200);
    for (const path of ['/api/v1/namespaces', '/api', '/metrics']) {
      const r = await call(path);
      expect(r.status).toBe(401);
      expect(JSON.parse(r.body)).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
    }
  });

  it('authenticates the admin certificate, and refuses strangers, expired and not-yet-valid ones', async () => {
    expect((await call('/api/v1/namespaces', { pair: admin() })).status).toBe(200);
    const stranger = await selfSignedCertificate({
      commonName: 'flotilla-admin',
      organizations: ['system:masters'],
      usage: 'client',
    });
    expect((await call('/api/v1/namespaces', { pair: stranger })).status).toBe(401);
    const caPair = readCa(cluster.pkiDir!);
    const day = 86_400_000;
    const expired = await issueCertificate(caPair, {
      commonName: 'flotilla-admin',
      organizations: ['system:masters'],
      usage: 'client',
      notBefore: new Date(Date.now() - 10 * day),
      validDays: 2,
    });
    expect((await call('/api/v1/namespaces', { pair: expired })).status).toBe(401);
    const early = await issueCertificate(caPair, {
      commonName: 'flotilla-admin',
      organizations: ['system:masters'],
      usage: 'client',
      notBefore: new Date(Date.now() + 10 * day),
    });
    expect((await call('/api/v1/namespaces', { pair: early })).status).toBe(401);
    expect((await call('/api/v1/namespaces', { token: 'a.b.c' })).status).toBe(401);
    // Still serving.
    expect((await call('/api/v1/namespaces', { pair: admin() })).status).toBe(200);
  });

  it('lets a user bound to view list but not create (403 as Kubernetes words it)', async () => {
    const jane = await issueUserCertificate(cluster.pkiDir!, 'jane', ['dev']);
    const denied = await call('/api/v1/namespaces/default/pods', { pair: jane });
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body).message).toBe(
      'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"',
    );
    const bound = await call('/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', {
      pair: admin(),
      method: 'POST',
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'dev-view' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'Group', name: 'dev', apiGroup: 'rbac.authorization.k8s.io' }],
      },
    });
    expect(bound.status).toBe(201);
    await waitFor('the binding to take effect', async () =>
      (await call('/api/v1/namespaces/default/pods', { pair: jane })).status === 200
        ? true
        : undefined,
    );
    const create = await call('/api/v1/namespaces/default/configmaps', {
      pair: jane,
      method: 'POST',
      body: { metadata: { name: 'nope' } },
    });
    expect(create.status).toBe(403);
    expect(JSON.parse(create.body).message).toBe(
      'configmaps is forbidden: User "jane" cannot create resource "configmaps" in API group "" in the namespace "default"',
    );

    // kubectl through a kubeconfig with jane's certificate: can-i and whoami from RBAC.
    const dir = join(cluster.root, 'jane');
    mkdirSync(dir, { recursive: true });
    const kubeconfig = join(dir, 'kubeconfig');
    const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
    writeFileSync(
      kubeconfig,
      renderKubeconfig([{ name: 'm1', apiPort: api }], '127.0.0.1', {
        caData: b64(ca),
        clientCertData: b64(jane.certPem),
        clientKeyData: b64(jane.keyPem),
      }),
    );
    const env = { ...process.env, KUBECONFIG: kubeconfig };
    const kubectl = (...args: string[]) =>
      run('kubectl', args, { env }).then(
        (r) => r.stdout.trim(),
        (e: { stdout: string; stderr: string }) => `${e.stdout}${e.stderr}`.trim(),
      );
    expect(await kubectl('auth', 'can-i', 'list', 'pods')).toBe('yes');
    expect(await kubectl('auth', 'can-i', 'create', 'pods')).toBe('no');
    expect(await kubectl('auth', 'can-i', 'list', 'pods', '-n', 'kube-system')).toBe('no');
    expect(await kubectl('auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}')).toBe(
      'jane',
    );
    expect(await kubectl('create', 'configmap', 'x')).toContain(
      'configmaps is forbidden: User "jane" cannot create resource "configmaps"',
    );
  });

  it('serves /metrics only to those RBAC lets read it', async () => {
    const prometheus: CertificatePair = {
      certPem: readFileSync(pki.clientCert('prometheus'), 'utf8'),
      keyPem: readFileSync(pki.clientKey('prometheus'), 'utf8'),
    };
    const metrics = await call('/metrics', { pair: prometheus });
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('apiserver_request_total');
    const bob = await issueUserCertificate(cluster.pkiDir!, 'bob', []);
    const denied = await call('/metrics', { pair: bob });
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body).message).toBe(
      'forbidden: User "bob" cannot get path "/metrics"',
    );
  });

  it("holds a node's certificate to its own pods' Secrets and its own Node (Node authorizer)", async () => {
    const kubeconfig = await cluster.nodeKubeconfig('w1');
    const w1: CertificatePair = {
      certPem: readFileSync(pki.nodeCert('w1'), 'utf8'),
      keyPem: readFileSync(pki.nodeKey('w1'), 'utf8'),
    };
    const node = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    });
    expect(
      (await call('/api/v1/nodes', { pair: w1, method: 'POST', body: node('w1') })).status,
    ).toBe(201);
    expect(
      (await call('/api/v1/nodes', { pair: admin(), method: 'POST', body: node('w2') })).status,
    ).toBe(201);
    const secret = await call('/api/v1/namespaces/default/secrets', {
      pair: admin(),
      method: 'POST',
      body: { metadata: { name: 'db' }, stringData: { password: 'hunter2' } },
    });
    expect(secret.status).toBe(201);

    // kubectl with the node's kubeconfig, as its kubelet would read it: not yet.
    const asNode = (args: string[]) => cluster.kubectl(args, { kubeconfig });
    const before = await asNode(['get', 'secret', 'db', '-o', 'name']);
    expect(before.code).not.toBe(0);
    expect(before.stderr).toContain(
      `secrets "db" is forbidden: User "system:node:w1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'w1' and this object`,
    );
    const tainted = await call('/api/v1/nodes/w2', {
      pair: w1,
      method: 'PATCH',
      body: { spec: { taints: [{ key: 'evil', effect: 'NoExecute' }] } },
      contentType: 'application/merge-patch+json',
    });
    expect(tainted.status).toBe(403);
    expect(JSON.parse(tainted.body).message).toBe(
      'nodes "w2" is forbidden: node "w1" is not allowed to modify node "w2"',
    );

    // A pod on w1 uses the Secret: now the node may read it, and only it.
    const pod = await call('/api/v1/namespaces/default/pods', {
      pair: admin(),
      method: 'POST',
      body: {
        metadata: { name: 'db-client' },
        spec: {
          nodeName: 'w1',
          containers: [
            {
              name: 'c',
              image: 'x',
              env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
            },
          ],
        },
      },
    });
    expect(pod.status).toBe(201);
    await waitFor('the pod to reach the node graph', async () =>
      (await call('/api/v1/namespaces/default/secrets/db', { pair: w1 })).status === 200
        ? true
        : undefined,
    );
    const after = await asNode(['get', 'secret', 'db', '-o', 'jsonpath={.data.password}']);
    expect(after.stderr).toBe('');
    expect(Buffer.from(after.stdout, 'base64').toString()).toBe('hunter2');
    expect((await asNode(['get', 'secrets'])).stderr).toContain('forbidden');
    // kube-proxy's own identity reads what the node's may not (--proxy-kubeconfig).
    expect((await asNode(['get', 'endpointslices', '-A'])).stderr).toContain('forbidden');
    const proxy = await cluster.kubectl(['get', 'endpointslices', '-A', '-o', 'name'], {
      kubeconfig: cluster.proxyKubeconfig(),
    });
    expect(proxy.code).toBe(0);
    expect(proxy.stdout).toContain('endpointslice.discovery.k8s.io/kubernetes');
  });

  it('works with kubectl through the admin kubeconfig', async () => {
    const r = await cluster.kubectl(['get', 'clusterroles', 'view', '-o', 'name']);
    expect(r.stdout.trim()).toBe('clusterrole.rbac.authorization.k8s.io/view');
  });

  it('rotates the certificates: the servers reload them and clients keep working', async () => {
    const fingerprint = () =>
      new Promise<string>((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port: api, ca, servername: 'localhost' }, () => {
          resolve(s.getPeerX509Certificate()!.fingerprint256);
          s.end();
        });
        s.on('error', reject);
      });
    const before = await fingerprint();
    await rotateClusterPki(cluster.pkiDir!);
    const after = new X509Certificate(readFileSync(pki.serverCert('m1'))).fingerprint256;
    expect(after).not.toBe(before);
    await waitFor('m1 to serve the new certificate', async () =>
      (await fingerprint()) === after ? true : undefined,
    );
    expect((await call('/api/v1/namespaces', { pair: admin() })).status).toBe(200);
    expect((await cluster.kubectl(['get', 'ns', 'default', '-o', 'name'])).stdout.trim()).toBe(
      'namespace/default',
    );
  });

  it('serves etcdctl over TLS with client certificates, and nobody without one', async () => {
    const put = await cluster.etcdctl(['put', '/tls/key', 'v1']);
    expect(put.stdout.trim()).toBe('OK');
    const get = await cluster.etcdctl(['get', '/tls/key', '--print-value-only']);
    expect(get.stdout.trim()).toBe('v1');
    const etcd = cluster.ports.get('m1')!.etcd;
    const bare = (args: string[]) =>
      run('etcdctl', ['--command-timeout=3s', '--dial-timeout=2s', ...args, 'get', '/tls/key'], {
        env: { ...process.env, ETCDCTL_API: '3' },
      }).then(
        () => 'served',
        () => 'refused',
      );
    // No client certificate; plain gRPC on the TLS port.
    expect(await bare([`--endpoints=https://127.0.0.1:${etcd}`, `--cacert=${pki.caCert}`])).toBe(
      'refused',
    );
    expect(await bare([`--endpoints=127.0.0.1:${etcd}`])).toBe('refused');
    // A certificate from another CA.
    const dir = join(cluster.root, 'stranger');
    mkdirSync(dir, { recursive: true });
    const stranger = await selfSignedCertificate({ commonName: 'root', usage: 'client' });
    writeFileSync(join(dir, 's.crt'), stranger.certPem);
    writeFileSync(join(dir, 's.key'), stranger.keyPem);
    expect(
      await bare([
        `--endpoints=https://127.0.0.1:${etcd}`,
        `--cacert=${pki.caCert}`,
        `--cert=${join(dir, 's.crt')}`,
        `--key=${join(dir, 's.key')}`,
      ]),
    ).toBe('refused');
    expect((await cluster.etcdctl(['get', '/tls/key', '--print-value-only'])).stdout.trim()).toBe(
      'v1',
    );
  });

  it('keeps Secrets encrypted at rest: the store, a snapshot and the data directories hold no plaintext', async () => {
    const marker = `plaintext-${Date.now().toString(36)}-marker`;
    const created = await cluster.kubectl([
      'create',
      'secret',
      'generic',
      'at-rest',
      `--from-literal=password=${marker}`,
    ]);
    expect(created.code).toBe(0);
    const read = await cluster.kubectl([
      'get',
      'secret',
      'at-rest',
      '-o',
      'jsonpath={.data.password}',
    ]);
    expect(Buffer.from(read.stdout, 'base64').toString()).toBe(marker);

    // What etcd clients see: Kubernetes' envelope, not the Secret.
    const raw = await cluster.etcdctl([
      'get',
      '/registry/secrets/default/at-rest',
      '--print-value-only',
    ]);
    expect(raw.stdout.startsWith('k8s:enc:aesgcm:v1:key1:')).toBe(true);
    expect(raw.stdout).not.toContain(marker);
    const snapshot = join(cluster.root, 'at-rest.db');
    expect(
      (await cluster.etcdctl(['snapshot', 'save', snapshot], cluster.endpoint('m1'))).code,
    ).toBe(0);
    const needle = Buffer.from(marker);
    const encoded = Buffer.from(Buffer.from(marker).toString('base64'));
    const leaks = (file: string) => {
      const bytes = readFileSync(file);
      return bytes.includes(needle) || bytes.includes(encoded);
    };
    expect(leaks(snapshot)).toBe(false);
    // Every file of every member's data directory (store, Raft log, snapshots).
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
      );
    const all = cluster.names.flatMap((name) => files(join(cluster.root, name)));
    expect(all.filter(leaks)).toEqual([]);
    // The scan would see it: a ConfigMap's value (not encrypted) is there in the clear.
    const control = `control-${marker}`;
    await cluster.kubectl(['create', 'configmap', 'at-rest', `--from-literal=v=${control}`]);
    await waitFor('the ConfigMap on disk', async () =>
      cluster.names
        .flatMap((name) => files(join(cluster.root, name)))
        .some((f) => readFileSync(f).includes(Buffer.from(control)))
        ? true
        : undefined,
    );
  });

  it('writes who did what to the audit log of the member that served it (Metadata: no bodies)', async () => {
    expect(
      (await cluster.kubectl(['create', 'configmap', 'audited', '--from-literal=k=secret-ish']))
        .code,
    ).toBe(0);
    const jane = await issueUserCertificate(cluster.pkiDir!, 'audit-jane', []);
    expect((await call('/api/v1/namespaces/default/secrets', { pair: jane })).status).toBe(403);
    const log = join(cluster.root, 'm1', 'audit.log');
    type Event = Record<string, unknown> & {
      verb: string;
      user: { username: string };
      objectRef?: { resource: string; name?: string };
      responseStatus: { code: number };
    };
    const events = () =>
      readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Event);
    const created = await waitFor('the create in the audit log', async () =>
      events().find((e) => e.verb === 'create' && e.objectRef?.name === 'audited'),
    );
    expect(created).toMatchObject({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      stage: 'ResponseComplete',
      user: { username: 'flotilla-admin', groups: ['system:masters', 'system:authenticated'] },
      objectRef: {
        resource: 'configmaps',
        namespace: 'default',
        name: 'audited',
        apiVersion: 'v1',
      },
      responseStatus: { code: 201 },
    });
    expect(String(created.userAgent)).toMatch(/^kubectl/);
    expect(JSON.stringify(events())).not.toContain('secret-ish');
    const denied = await waitFor('the denial in the audit log', async () =>
      events().find((e) => e.user.username === 'audit-jane' && e.responseStatus.code === 403),
    );
    expect(denied.annotations).toMatchObject({ 'authorization.k8s.io/decision': 'forbid' });
    // Turned away at the door: no credentials, 401, no user.
    expect((await call('/api/v1/namespaces/audit-probe/pods')).status).toBe(401);
    const anonymous = await waitFor('the 401 in the audit log', async () =>
      events().find((e) => e.requestURI === '/api/v1/namespaces/audit-probe/pods'),
    );
    expect(anonymous).toMatchObject({
      verb: 'list',
      user: { username: '', groups: [] },
      sourceIPs: ['127.0.0.1'],
      responseStatus: { code: 401, reason: 'Unauthorized' },
    });
    // Served outside the REST API: /metrics is logged (health checks are not, by the policy).
    const prometheus: CertificatePair = {
      certPem: readFileSync(pki.clientCert('prometheus'), 'utf8'),
      keyPem: readFileSync(pki.clientKey('prometheus'), 'utf8'),
    };
    expect((await call('/metrics', { pair: prometheus })).status).toBe(200);
    const scraped = await waitFor('the /metrics scrape in the audit log', async () =>
      events().find((e) => e.requestURI === '/metrics' && e.user.username === 'system:prometheus'),
    );
    expect(scraped).toMatchObject({
      verb: 'get',
      level: 'Metadata',
      responseStatus: { code: 200 },
    });
    expect(scraped.objectRef).toBeUndefined();
    expect(scraped.annotations).toMatchObject({ 'authorization.k8s.io/decision': 'allow' });
    expect(events().some((e) => String(e.requestURI).startsWith('/readyz'))).toBe(false);
    // The default policy leaves out Lease renewals.
    expect(events().some((e) => e.objectRef?.resource === 'leases' && e.verb === 'update')).toBe(
      false,
    );
  });

  it('takes on the peer port only certificates from the CA that name the member saying hello', async () => {
    const peer = cluster.ports.get('m1')!.peer;
    const handshake = (pair?: CertificatePair) =>
      new Promise<string>((resolve) => {
        const s = tlsConnect({
          host: '127.0.0.1',
          port: peer,
          ca,
          servername: 'm1',
          cert: pair?.certPem,
          key: pair?.keyPem,
        });
        s.on('secureConnect', () => {
          // TLS 1.3: a refused client certificate shows as the server closing right after.
          s.write('GET /raft HTTP/1.1\r\nHost: m1\r\n\r\n');
        });
        s.on('data', () => resolve('served'));
        s.on('error', () => resolve('refused'));
        s.on('close', () => resolve('refused'));
      });
    expect(await handshake()).toBe('refused');
    expect(await handshake(await selfSignedCertificate({ commonName: 'm2', usage: 'peer' }))).toBe(
      'refused',
    );
    // From the CA, but naming someone else than the member it claims to be.
    const admin = {
      certPem: readFileSync(pki.adminCert, 'utf8'),
      keyPem: readFileSync(pki.adminKey, 'utf8'),
    };
    const closed = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`wss://127.0.0.1:${peer}/raft`, {
        ca,
        cert: admin.certPem,
        key: admin.keyPem,
        checkServerIdentity: (() => undefined) as never,
      });
      ws.on('open', () =>
        ws.send(
          new Packr({ useRecords: false }).pack({
            kind: 'hello',
            cluster: 'flotilla',
            from: 'm2',
            to: 'm1',
          }),
        ),
      );
      ws.on('close', (code) => resolve(code));
      ws.on('error', reject);
    });
    expect(closed).toBe(4002);
    // The members themselves still talk: a write commits on a majority.
    expect((await cluster.etcdctl(['put', '/tls/after', 'ok'])).stdout.trim()).toBe('OK');
  });
});
