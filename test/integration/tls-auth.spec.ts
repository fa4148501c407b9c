import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { ApiError } from '@flotilla/api';
import { connect, connectFromKubeconfig, UnreachableError } from '@flotilla/client';
import { renderKubeconfig } from '../../apps/flotilla/src/up/kubeconfig';
import { caData, ensurePki } from '../../apps/flotilla/src/up/pki';
import { freePortBlock } from './support/ports';
import { TsProcess } from './support/ts-process';
import { tryGetText, waitFor } from './support/wait';

const run = promisify(execFile);

function httpsGet(
  port: number,
  path: string,
  ca: Buffer,
  token?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        ca,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The API port over HTTPS with bearer-token authentication, as `flotilla up --tls` runs it. */
describe('HTTPS and token authentication on the API port', () => {
  let root: string;
  let master: TsProcess;
  let api: number;
  let pki: ReturnType<typeof ensurePki>;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'flotilla-tls-'));
    pki = ensurePki(root, ['127.0.0.1']);
    const base = await freePortBlock([0, 1, 2]);
    api = base;
    master = new TsProcess('apps/control-plane/src/main.ts', [
      '--name',
      'm1',
      '--data-dir',
      join(root, 'm1'),
      '--api-port',
      String(base),
      '--etcd-port',
      String(base + 1),
      '--peer-port',
      String(base + 2),
      '--tls-cert-file',
      pki.certFile,
      '--tls-private-key-file',
      pki.keyFile,
      '--token-auth-file',
      pki.tokenFile,
      '--log-level',
      'warn',
    ]);
    const ca = readFileSync(pki.caCertFile);
    await waitFor(
      'https readyz',
      async () =>
        (await httpsGet(api, '/readyz', ca).catch(() => undefined))?.status === 200
          ? true
          : undefined,
      60_000,
      200,
    );
  }, 90_000);

  afterAll(() => {
    master?.kill();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves health openly and the Kubernetes API only to a known token', async () => {
    const ca = readFileSync(pki.caCertFile);
    expect((await httpsGet(api, '/livez', ca)).body).toBe('ok');
    const anonymous = await httpsGet(api, '/api/v1/namespaces', ca);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body)).toMatchObject({
      kind: 'Status',
      reason: 'Unauthorized',
      code: 401,
    });
    expect((await httpsGet(api, '/api/v1/namespaces', ca, 'wrong')).status).toBe(401);
    const admin = await httpsGet(api, '/api/v1/namespaces', ca, pki.adminToken);
    expect(admin.status).toBe(200);
    // Plain HTTP on the same port is not served.
    expect((await tryGetText(`http://127.0.0.1:${api}/healthz`))?.status).not.toBe(200);
  });

  it('@flotilla/client works through that kubeconfig over HTTPS (CA, token), and gets 401 without the token', async () => {
    const kubeconfig = join(root, 'kubeconfig-client');
    const render = (token: string) =>
      renderKubeconfig([{ name: 'm1', apiPort: api }], '127.0.0.1', {
        caData: caData(pki),
        token,
      });
    writeFileSync(kubeconfig, render(pki.adminToken));
    const { client, transport } = connectFromKubeconfig({ kubeconfig, rateLimit: false });
    try {
      expect(transport.describe()).toBe(`https://127.0.0.1:${api}`);
      const names = (await client.namespaces().list()).items.map((n) => n.metadata.name);
      expect(names).toContain('default');
      const made = await client.configMaps('default').create({ metadata: { name: 'over-tls' } });
      expect(made.metadata.uid).toBeTruthy();
    } finally {
      client.close();
    }
    writeFileSync(kubeconfig, render('not-a-token'));
    const denied = connectFromKubeconfig({ kubeconfig, rateLimit: false }).client;
    try {
      const err = (await denied
        .namespaces()
        .list()
        .catch((e: unknown) => e)) as ApiError;
      expect([err.code, err.reason]).toEqual([401, 'Unauthorized']);
    } finally {
      denied.close();
    }
    // A client that does not trust the CA fails the handshake: nothing sent, the endpoint named.
    const untrusting = connect([`https://127.0.0.1:${api}`], {
      rateLimit: false,
      rounds: 1,
    }).client;
    try {
      const err = (await untrusting
        .namespaces()
        .get('default')
        .catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(UnreachableError);
      expect(err.message).toContain(`https://127.0.0.1:${api}`);
      expect(err.message).toMatch(/certificate/);
    } finally {
      untrusting.close();
    }
  });

  it('kubectl works through the kubeconfig flotilla up writes (CA and token), and not without the token', async () => {
    const kubeconfig = join(root, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      renderKubeconfig([{ name: 'm1', apiPort: api }], '127.0.0.1', {
        caData: caData(pki),
        token: pki.adminToken,
      }),
    );
    const env = { ...process.env, KUBECONFIG: kubeconfig };
    await waitFor(
      'namespaces',
      async () => {
        const r = await run('kubectl', ['get', 'ns', '-o', 'name'], { env }).catch(() => undefined);
        return r?.stdout.includes('namespace/default') ? true : undefined;
      },
      30_000,
      500,
    );
    writeFileSync(
      kubeconfig,
      renderKubeconfig([{ name: 'm1', apiPort: api }], '127.0.0.1', {
        caData: caData(pki),
        token: 'not-a-token',
      }),
    );
    const denied = await run('kubectl', ['get', 'ns'], { env }).catch((e: { stderr: string }) => e);
    expect((denied as { stderr: string }).stderr).toMatch(/Unauthorized|must be logged in/);
  });

  it('refuses half a TLS configuration with one line', async () => {
    const p = new TsProcess('apps/control-plane/src/main.ts', [
      '--name',
      'm1',
      '--tls-cert-file',
      pki.certFile,
    ]);
    const { code } = await p.exit(30_000);
    expect(code).toBe(2);
    expect(p.stderr.trim()).toBe(
      'flotilla control-plane: --tls-cert-file: needs both --tls-cert-file and --tls-private-key-file',
    );
  });
});
