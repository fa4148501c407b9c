// The API server's dialer toward kubelets with --kubelet-certificate-authority: a kubelet whose
// serving certificate the cluster CA issued for the dialled address is reached; one with a
// self-signed certificate, or a certificate for another address, is refused with a 503 that
// says why, and never retried as plain HTTP.
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import {
  createCa,
  issueCertificate,
  selfSignedCertificate,
  type CertificatePair,
} from '@flotilla/pki';
import { isApiError } from '@flotilla/api';
import { KubeletDialer } from '../../libs/apiserver/src/proxy/kubelet-proxy';

let ca: CertificatePair;
const servers: TlsServer[] = [];

async function kubelet(pair: CertificatePair): Promise<number> {
  const server = createTlsServer({ cert: pair.certPem, key: pair.keyPem }, (socket) =>
    socket.end('hello from the kubelet'),
  );
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

function serving(hosts: string[]): Promise<CertificatePair> {
  return issueCertificate(ca, {
    commonName: 'system:node:w1',
    organizations: ['system:nodes'],
    hosts,
    usage: 'server',
  });
}

beforeAll(async () => {
  ca = await createCa({ commonName: 'cluster-ca' });
});

afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

describe('KubeletDialer with the kubelets CA', () => {
  const verified = () => new KubeletDialer({ tls: { ca: ca.certPem, verify: true } });

  it('reaches a kubelet whose serving certificate the CA issued for its address', async () => {
    const port = await kubelet(await serving(['w1', '127.0.0.1']));
    const socket = await verified().connect({ node: 'w1', host: '127.0.0.1', port });
    const text = await new Promise<string>((resolve) => {
      let got = '';
      socket.on('data', (d) => (got += d));
      socket.on('end', () => resolve(got));
    });
    expect(text).toBe('hello from the kubelet');
  });

  it('refuses a self-signed serving certificate with a 503 naming the node', async () => {
    const port = await kubelet(
      await selfSignedCertificate({ commonName: 'w1', hosts: ['127.0.0.1'], usage: 'server' }),
    );
    const err = await verified()
      .connect({ node: 'w1', host: '127.0.0.1', port })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isApiError(err) && err.code).toBe(503);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^the kubelet of node w1 at 127\\.0\\.0\\.1:${port} is not trusted: .*self-signed`,
      ),
    );
  });

  it('refuses a certificate from the CA that names another address', async () => {
    const port = await kubelet(await serving(['w2', '10.0.0.2']));
    const err = await verified()
      .connect({ node: 'w1', host: '127.0.0.1', port })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isApiError(err) && err.code).toBe(503);
    expect((err as Error).message).toContain("IP: 127.0.0.1 is not in the cert's list");
  });

  it('without the CA, takes any serving certificate (Kubernetes without the flag)', async () => {
    const port = await kubelet(
      await selfSignedCertificate({ commonName: 'w1', hosts: ['127.0.0.1'], usage: 'server' }),
    );
    const socket = await new KubeletDialer().connect({ node: 'w1', host: '127.0.0.1', port });
    socket.destroy();
  });
});
