import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ensureClusterPki, pkiPaths } from '@flotilla/pki';
import { renderKubeconfig } from './kubeconfig';
import { writeNodeCredentials } from './node-credentials';

interface KubeconfigDoc {
  clusters: { cluster: { server: string } }[];
  users: { user: Record<string, string> }[];
}

describe('a node agent’s credentials', () => {
  let data: string;
  beforeEach(async () => {
    data = mkdtempSync(join(tmpdir(), 'node-credentials-'));
    await ensureClusterPki(join(data, 'pki'), {
      masters: [{ name: 'm1', hosts: ['10.239.0.254'] }],
      serviceIp: '10.96.0.1',
    });
    writeFileSync(
      join(data, 'kubeconfig'),
      renderKubeconfig([{ name: 'm1', apiPort: 6443 }], '10.239.0.254', {
        caData: readFileSync(pkiPaths(join(data, 'pki')).caCert).toString('base64'),
        clientCertData: 'YWRtaW4=',
        clientKeyData: 'YWRtaW4=',
      }),
    );
  });
  afterEach(() => rmSync(data, { recursive: true, force: true }));

  const subjectOf = (doc: KubeconfigDoc) =>
    new X509Certificate(
      Buffer.from(doc.users[0].user['client-certificate-data'], 'base64'),
    ).subject.split('\n');

  it('gives the kubelet system:node:<name>, kube-proxy its own, and the server a pair for its address', async () => {
    const c = await writeNodeCredentials({ dataDir: data, node: 'w1', addresses: ['10.239.0.1'] });
    const kubelet = parse(readFileSync(c.kubeconfig, 'utf8')) as KubeconfigDoc;
    expect(c.kubeconfig).toBe(join(data, 'nodes', 'w1.kubeconfig'));
    expect(kubelet.clusters[0].cluster.server).toBe('https://10.239.0.254:6443');
    expect(subjectOf(kubelet)).toEqual(['CN=system:node:w1', 'O=system:nodes']);
    const proxy = parse(readFileSync(c.proxyKubeconfig, 'utf8')) as KubeconfigDoc;
    expect(subjectOf(proxy)).toEqual(['CN=system:kube-proxy']);
    const serving = new X509Certificate(readFileSync(c.serving!.cert));
    expect(serving.checkIP('10.239.0.1')).toBe('10.239.0.1');
    expect(serving.checkHost('w1')).toBe('w1');
    expect(serving.checkIssued(new X509Certificate(readFileSync(c.clientCa)))).toBe(true);
  });

  it('makes no serving pair without an address, and needs the admin kubeconfig', async () => {
    const c = await writeNodeCredentials({ dataDir: data, node: 'w2' });
    expect(c.serving).toBeUndefined();
    rmSync(join(data, 'kubeconfig'));
    await expect(writeNodeCredentials({ dataDir: data, node: 'w3' })).rejects.toThrow(
      /kubeconfig does not exist; run flotilla up first/,
    );
  });
});
