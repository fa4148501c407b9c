// TLS through a kubeconfig against a loopback HTTPS server that requires a client certificate:
// the CA (file or data), client certificate and key (files or data), tls-server-name and
// insecure-skip-tls-verify, each doing what kubectl does with it. Certificates made with openssl.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent as HttpsAgent, createServer, Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { connectFromKubeconfig, UnreachableError } from '@flotilla/client';

describe('TLS settings from a kubeconfig', () => {
  let dir: string;
  let server: Server;
  let port: number;
  const file = (name: string) => join(dir, name);
  const b64 = (name: string) => readFileSync(file(name)).toString('base64');
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

  /** A certificate for `cn`, signed by the test CA, with these extensions. */
  const issue = (name: string, cn: string, ext: string) => {
    writeFileSync(file(`${name}.ext`), ext);
    openssl([
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
    ]);
    openssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    ]);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-client-tls-'));
    openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=test-ca',
    ]);
    issue('server', 'api', 'subjectAltName=DNS:api.flotilla.test\nextendedKeyUsage=serverAuth\n');
    issue('client', 'controller-a', 'extendedKeyUsage=clientAuth\n');
    server = createServer(
      {
        key: readFileSync(file('server.key')),
        cert: readFileSync(file('server.crt')),
        ca: readFileSync(file('ca.crt')),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'Namespace',
            apiVersion: 'v1',
            metadata: { name: String(peer.subject?.CN) },
          }),
        );
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const kubeconfig = (cluster: string, user: string) => {
    const path = file(`kubeconfig-${Math.random().toString(36).slice(2)}`);
    writeFileSync(
      path,
      `clusters: [{name: c, cluster: {server: 'https://127.0.0.1:${port}', ${cluster}}}]
users: [{name: u, user: {${user}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
    );
    return path;
  };

  /** The CN the server saw, or the error. */
  const whoAmI = async (path: string): Promise<string | Error> => {
    const { client } = connectFromKubeconfig({ kubeconfig: path, rateLimit: false, rounds: 1 });
    try {
      return (await client.namespaces().get('me')).metadata.name!;
    } catch (err) {
      return err as Error;
    } finally {
      client.close();
    }
  };

  it('presents the client certificate (files) and checks the server against the CA and tls-server-name', async () => {
    const path = kubeconfig(
      'certificate-authority: ca.crt, tls-server-name: api.flotilla.test',
      'client-certificate: client.crt, client-key: client.key',
    );
    expect(await whoAmI(path)).toBe('controller-a');
  });

  it('takes the same as -data fields', async () => {
    const path = kubeconfig(
      `certificate-authority-data: ${b64('ca.crt')}, tls-server-name: api.flotilla.test`,
      `client-certificate-data: ${b64('client.crt')}, client-key-data: ${b64('client.key')}`,
    );
    expect(await whoAmI(path)).toBe('controller-a');
  });

  it('refuses a server whose certificate names another host, before sending anything', async () => {
    const path = kubeconfig(
      'certificate-authority: ca.crt',
      'client-certificate: client.crt, client-key: client.key',
    );
    const err = await whoAmI(path);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toMatch(
      new RegExp(`https://127.0.0.1:${port} \\(.*(altnames|Hostname/IP does not match)`),
    );
  });

  it('trusts any server with insecure-skip-tls-verify, and still presents its certificate', async () => {
    const path = kubeconfig(
      'insecure-skip-tls-verify: true',
      'client-certificate: client.crt, client-key: client.key',
    );
    expect(await whoAmI(path)).toBe('controller-a');
  });

  it('is turned away without a client certificate', async () => {
    const path = kubeconfig(
      'certificate-authority: ca.crt, tls-server-name: api.flotilla.test',
      'token: t',
    );
    const err = await whoAmI(path);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toMatch(
      new RegExp(`^cannot reach the API server: https://127.0.0.1:${port} \\(.*certificate`),
    );
  });
  it('parses the CA, certificate and key once per master, not on every new connection', async () => {
    const path = kubeconfig(
      `certificate-authority-data: ${b64('ca.crt')}, tls-server-name: api.flotilla.test`,
      `client-certificate-data: ${b64('client.crt')}, client-key-data: ${b64('client.key')}`,
    );
    const dials = jest.spyOn(HttpsAgent.prototype, 'createConnection');
    const { client } = connectFromKubeconfig({
      kubeconfig: path,
      rateLimit: false,
      rounds: 1,
      maxSockets: 8,
    });
    try {
      // Eight at once: the pool opens a connection (a TLS handshake) for each.
      const names = await Promise.all(
        Array.from({ length: 8 }, () => client.namespaces().get('me')),
      );
      expect(names.map((n) => n.metadata.name)).toEqual(Array(8).fill('controller-a'));
      // Every connection was handed one context built up front (none of them parses PEMs).
      const options = dials.mock.calls.map(([o]) => o as ConnectionOptions);
      expect(options).toHaveLength(8);
      expect(options[0].secureContext).toBeDefined();
      for (const o of options) {
        expect(o.secureContext).toBe(options[0].secureContext);
        expect(o.key).toBeUndefined();
      }
    } finally {
      dials.mockRestore();
      client.close();
    }
  });
});
