// Who a client certificate names (CN the user, O the groups), and how often it is read: once per
// TLS handshake, again on a new connection or after a renegotiation, never per request.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request, Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { ClientCertificate, clientCertificateOf, userOfSubject } from './client-identity';

/** A stand-in for a server-side TLSSocket after its handshake. */
function fakeSocket(subject: Record<string, string | string[]>, finished = 'handshake-1') {
  const socket = {
    authorized: true,
    authorizationError: undefined as string | undefined,
    finished: Buffer.from(finished),
    reads: 0,
    subject,
    getPeerCertificate() {
      socket.reads++;
      return { subject: socket.subject };
    },
    getFinished() {
      return Buffer.from(socket.finished);
    },
  };
  return socket;
}

describe('userOfSubject', () => {
  it('names the user by CN and the groups by every O, in order', () => {
    expect(userOfSubject({ CN: 'system:node:w1', O: 'system:nodes' })).toEqual({
      user: { name: 'system:node:w1', groups: ['system:nodes'] },
    });
    expect(userOfSubject({ CN: ['alice', 'ignored'], O: ['dev', 'ops'], OU: 'x' })).toEqual({
      user: { name: 'alice', groups: ['dev', 'ops'] },
    });
    expect(userOfSubject({ CN: 'bob' })).toEqual({ user: { name: 'bob', groups: [] } });
  });

  it('refuses a subject without a common name (an empty one included)', () => {
    const error = 'the certificate has no common name';
    expect(userOfSubject({ O: 'system:masters' })).toEqual({ error });
    expect(userOfSubject({ CN: '', O: 'system:masters' })).toEqual({ error });
  });
});

describe('clientCertificateOf', () => {
  it('reads the certificate once per handshake and answers the same user after', () => {
    const socket = fakeSocket({ CN: 'alice', O: ['dev', 'ops'] });
    const want: ClientCertificate = {
      verified: true,
      user: { name: 'alice', groups: ['dev', 'ops'] },
    };
    expect(clientCertificateOf(socket)).toEqual(want);
    expect(clientCertificateOf(socket)).toEqual(want);
    expect(clientCertificateOf(socket)).toEqual(want);
    expect(socket.reads).toBe(1);
  });

  it('reads it again after a renegotiation (a new Finished message)', () => {
    const socket = fakeSocket({ CN: 'alice' });
    expect(clientCertificateOf(socket)).toMatchObject({ user: { name: 'alice' } });
    socket.subject = { CN: 'mallory' };
    socket.finished = Buffer.from('handshake-2');
    expect(clientCertificateOf(socket)).toMatchObject({ user: { name: 'mallory' } });
    expect(socket.reads).toBe(2);
  });

  it('keeps connections apart', () => {
    const a = fakeSocket({ CN: 'alice' }, 'same-bytes');
    const b = fakeSocket({ CN: 'bob' }, 'same-bytes');
    expect(clientCertificateOf(a)).toMatchObject({ user: { name: 'alice' } });
    expect(clientCertificateOf(b)).toMatchObject({ user: { name: 'bob' } });
    expect(clientCertificateOf(a)).toMatchObject({ user: { name: 'alice' } });
  });

  it('remembers a certificate the handshake did not verify as such, and no certificate as none', () => {
    const unverified = fakeSocket({ CN: 'stranger' });
    unverified.authorized = false;
    unverified.authorizationError = 'SELF_SIGNED_CERT_IN_CHAIN';
    const want = { verified: false, error: 'SELF_SIGNED_CERT_IN_CHAIN' };
    expect(clientCertificateOf(unverified)).toEqual(want);
    expect(clientCertificateOf(unverified)).toEqual(want);
    const none = fakeSocket({});
    none.getPeerCertificate = () => {
      none.reads++;
      return {} as never;
    };
    expect(clientCertificateOf(none)).toBeUndefined();
    expect(clientCertificateOf(none)).toBeUndefined();
    expect(none.reads).toBe(1);
  });

  it('a certificate without a common name is refused', () => {
    expect(clientCertificateOf(fakeSocket({ O: 'dev' }))).toEqual({
      verified: false,
      error: 'the certificate has no common name',
    });
  });

  it('a plain socket presents nothing', () => {
    expect(clientCertificateOf({})).toBeUndefined();
    expect(clientCertificateOf(undefined)).toBeUndefined();
  });

  describe('over a real TLS connection (loopback, openssl certificates)', () => {
    let dir: string;
    let server: Server;
    let port: number;
    const seen: (ClientCertificate | undefined)[] = [];
    const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const pem = (name: string) => readFileSync(join(dir, name));

    const issue = (name: string, subject: string, ext: string) => {
      writeFileSync(join(dir, `${name}.ext`), ext);
      openssl(
        `req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ${name}.key -out ${name}.csr -subj ${subject}`.split(
          ' ',
        ),
      );
      openssl(
        `x509 -req -in ${name}.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out ${name}.crt -days 1 -extfile ${name}.ext`.split(
          ' ',
        ),
      );
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'flotilla-client-cert-'));
      openssl(
        'req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=test-ca'.split(
          ' ',
        ),
      );
      issue(
        'server',
        '/CN=localhost',
        'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
      );
      issue('client', '/O=dev/CN=alice', 'extendedKeyUsage=clientAuth\n');
      server = createServer(
        {
          key: pem('server.key'),
          cert: pem('server.crt'),
          ca: pem('ca.crt'),
          requestCert: true,
          rejectUnauthorized: false,
        },
        (req, res) => {
          seen.push(clientCertificateOf(req.socket));
          res.end('ok');
        },
      );
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    });

    it('authenticates every request of a keep-alive connection with one certificate read', async () => {
      const agent = new Agent({
        keepAlive: true,
        maxSockets: 1,
        ca: pem('ca.crt'),
        cert: pem('client.crt'),
        key: pem('client.key'),
      });
      const reads = jest.spyOn(TLSSocket.prototype, 'getPeerCertificate');
      const get = () =>
        new Promise<void>((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
            res.resume();
            res.on('end', resolve);
          });
          req.on('error', reject);
          req.end();
        });
      try {
        for (let i = 0; i < 5; i++) await get();
        const serverReads = reads.mock.contexts.filter(
          (s) => (s as { server?: unknown }).server,
        ).length;
        expect(serverReads).toBe(1);
      } finally {
        reads.mockRestore();
        agent.destroy();
      }
      expect(seen).toHaveLength(5);
      for (const s of seen)
        expect(s).toEqual({ verified: true, user: { name: 'alice', groups: ['dev'] } });
    });
  });
});
