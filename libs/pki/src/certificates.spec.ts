import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, issueCertificate, selfSignedCertificate } from './certificates';
import {
  ensureClusterPki,
  issueKubeletServingCertificate,
  issueNodeCertificates,
  issueUserCertificate,
  pkiPaths,
  rotateClusterPki,
} from './cluster-pki';

describe('certificates', () => {
  it('issues a serving certificate with its names and addresses, signed by the CA', async () => {
    const ca = await createCa({ commonName: 'test-ca' });
    const leaf = await issueCertificate(ca, {
      commonName: 'm1',
      hosts: ['m1', 'localhost', '127.0.0.1', '10.96.0.1', '::1'],
      usage: 'server',
    });
    const caCert = new X509Certificate(ca.certPem);
    const cert = new X509Certificate(leaf.certPem);
    expect(caCert.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkHost('m1')).toBe('m1');
    expect(cert.checkIP('10.96.0.1')).toBe('10.96.0.1');
    expect(cert.checkIP('::1')).toBeDefined();
    expect(cert.checkHost('elsewhere')).toBeUndefined();
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(cert.checkPrivateKey(createPrivateKey(leaf.keyPem))).toBe(true);
  });

  it('puts the user in CN and the groups in O of a client certificate', async () => {
    const ca = await createCa({ commonName: 'test-ca' });
    const leaf = await issueCertificate(ca, {
      commonName: 'system:node:w1',
      organizations: ['system:nodes', 'team, a'],
      usage: 'client',
    });
    const cert = new X509Certificate(leaf.certPem);
    expect(cert.subject.split('\n')).toEqual([
      'CN=system:node:w1',
      'O=system:nodes',
      'O=team\\, a',
    ]);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
  });

  it('makes a self-signed certificate the CA did not issue', async () => {
    const ca = await createCa({ commonName: 'test-ca' });
    const stranger = await selfSignedCertificate({ commonName: 'mallory', usage: 'client' });
    const cert = new X509Certificate(stranger.certPem);
    expect(cert.checkIssued(new X509Certificate(ca.certPem))).toBe(false);
  });

  it('honours notBefore and validDays', async () => {
    const ca = await createCa({ commonName: 'test-ca' });
    const notBefore = new Date('2030-01-01T00:00:00Z');
    const leaf = await issueCertificate(ca, {
      commonName: 'later',
      usage: 'client',
      notBefore,
      validDays: 2,
    });
    const cert = new X509Certificate(leaf.certPem);
    expect(new Date(cert.validFrom).toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(new Date(cert.validTo).toISOString()).toBe('2030-01-03T00:00:00.000Z');
  });
});

describe('the cluster PKI directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-pki-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const plan = {
    masters: [
      { name: 'm1', hosts: ['127.0.0.1'] },
      { name: 'm2', hosts: ['192.0.2.2'] },
    ],
    serviceIp: '10.96.0.1',
    nodes: ['w1'],
  };

  it('makes the CA, the admin, per-master, component and node pairs, and keeps them', async () => {
    await ensureClusterPki(dir, plan);
    const p = pkiPaths(dir);
    const ca = new X509Certificate(readFileSync(p.caCert));
    const admin = new X509Certificate(readFileSync(p.adminCert));
    expect(admin.subject.split('\n')).toEqual(['CN=flotilla-admin', 'O=system:masters']);
    expect(admin.checkIssued(ca)).toBe(true);
    const m2 = new X509Certificate(readFileSync(p.serverCert('m2')));
    expect(m2.checkIP('192.0.2.2')).toBe('192.0.2.2');
    expect(m2.checkIP('10.96.0.1')).toBe('10.96.0.1');
    expect(m2.checkHost('kubernetes.default.svc')).toBe('kubernetes.default.svc');
    const peer = new X509Certificate(readFileSync(p.peerCert('m1')));
    expect(peer.subject).toBe('CN=m1');
    expect(peer.checkHost('m1')).toBe('m1');
    const node = new X509Certificate(readFileSync(p.nodeCert('w1')));
    expect(node.subject.split('\n')).toEqual(['CN=system:node:w1', 'O=system:nodes']);
    const scheduler = new X509Certificate(readFileSync(p.clientCert('kube-scheduler')));
    expect(scheduler.subject).toBe('CN=system:kube-scheduler');
    expect(statSync(p.adminKey).mode & 0o777).toBe(0o600);
    expect(statSync(p.caKey).mode & 0o777).toBe(0o600);
    readFileSync(p.serviceAccountKey);

    const before = readFileSync(p.adminCert, 'utf8');
    await ensureClusterPki(dir, plan);
    expect(readFileSync(p.adminCert, 'utf8')).toBe(before);
  });

  it('rotates every leaf from the same CA and refuses a directory without one', async () => {
    await ensureClusterPki(dir, plan);
    const p = pkiPaths(dir);
    const caBefore = readFileSync(p.caCert, 'utf8');
    const serverBefore = readFileSync(p.serverCert('m1'), 'utf8');
    const written = await rotateClusterPki(dir);
    expect(written).toContain(p.serverCert('m1'));
    expect(readFileSync(p.caCert, 'utf8')).toBe(caBefore);
    const after = new X509Certificate(readFileSync(p.serverCert('m1')));
    expect(after.toString()).not.toBe(serverBefore);
    expect(after.checkIssued(new X509Certificate(caBefore))).toBe(true);
    // Same subject, names and usages.
    expect(after.subjectAltName).toBe(new X509Certificate(serverBefore).subjectAltName);
    const node = new X509Certificate(readFileSync(p.nodeCert('w1')));
    expect(node.subject.split('\n')).toEqual(['CN=system:node:w1', 'O=system:nodes']);
    expect(node.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    const empty = mkdtempSync(join(tmpdir(), 'flotilla-pki-empty-'));
    await expect(rotateClusterPki(empty)).rejects.toThrow(/no CA/);
    rmSync(empty, { recursive: true });
  });

  it("issues a kubelet's serving pair naming the node and its InternalIP", async () => {
    await ensureClusterPki(dir, plan);
    const p = pkiPaths(dir);
    const written = await issueKubeletServingCertificate(dir, 'w1', ['10.239.0.1']);
    expect(written).toEqual({ cert: p.kubeletServingCert('w1'), key: p.kubeletServingKey('w1') });
    const cert = new X509Certificate(readFileSync(written.cert));
    expect(cert.subject.split('\n')).toEqual(['CN=system:node:w1', 'O=system:nodes']);
    expect(cert.subjectAltName).toBe('DNS:w1, IP Address:10.239.0.1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(cert.checkIssued(new X509Certificate(readFileSync(p.caCert)))).toBe(true);
    expect(statSync(written.key).mode & 0o777).toBe(0o600);
    await expect(issueKubeletServingCertificate(dir, 'w2', [])).rejects.toThrow(/no address/);
  });

  it('issues many node identities at once, each with its own key', async () => {
    await ensureClusterPki(dir, plan);
    const ca = new X509Certificate(readFileSync(pkiPaths(dir).caCert));
    const pairs = await issueNodeCertificates(dir, ['hollow-0', 'hollow-1', 'hollow-2']);
    expect([...pairs.keys()]).toEqual(['hollow-0', 'hollow-1', 'hollow-2']);
    const certs = [...pairs.values()].map((pair) => new X509Certificate(pair.certPem));
    expect(certs.map((c) => c.subject.split('\n'))).toEqual(
      ['hollow-0', 'hollow-1', 'hollow-2'].map((n) => [`CN=system:node:${n}`, 'O=system:nodes']),
    );
    for (const c of certs) expect(c.checkIssued(ca)).toBe(true);
    expect(new Set([...pairs.values()].map((pair) => pair.keyPem)).size).toBe(3);
  });

  it('issues a user certificate from the cluster CA', async () => {
    await ensureClusterPki(dir, plan);
    const pair = await issueUserCertificate(dir, 'jane', ['dev']);
    const cert = new X509Certificate(pair.certPem);
    expect(cert.subject.split('\n')).toEqual(['CN=jane', 'O=dev']);
    expect(cert.checkIssued(new X509Certificate(readFileSync(pkiPaths(dir).caCert)))).toBe(true);
  });
});
