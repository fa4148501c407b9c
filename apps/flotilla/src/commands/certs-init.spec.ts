import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseKubeconfig, peerContexts } from '@flotilla/client';
import { parseSubject, pkiPaths } from '@flotilla/pki';
import { ConfigError } from '@flotilla/process';
import { certsCommand } from './certs.command';

const context = { cliFile: __filename, cliDir: __dirname };

describe('flotilla certs init', () => {
  let dir: string;
  let stdout: jest.SpyInstance;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'certs-init-'));
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });

  afterEach(() => {
    stdout.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  });

  const cert = (file: string) => new X509Certificate(readFileSync(file));
  const names = (c: X509Certificate) => (c.subjectAltName ?? '').split(', ');

  it('issues serving certificates naming each compose host, loopback and every --host', async () => {
    await certsCommand(['init', '--data-dir', dir, '--host', 'flotilla.example'], context);
    const p = pkiPaths(join(dir, 'pki'));
    for (const m of ['m1', 'm2', 'm3']) {
      const serving = cert(p.serverCert(m));
      expect(serving.checkHost(m)).toBe(m);
      expect(serving.checkHost('localhost')).toBe('localhost');
      expect(serving.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(serving.checkHost('flotilla.example')).toBe('flotilla.example');
      expect(serving.verify(cert(p.caCert).publicKey)).toBe(true);
      expect(cert(p.peerCert(m)).checkHost(m)).toBe(m);
    }
    expect(names(cert(p.serverCert('m1')))).not.toContain('DNS:m2');
  });

  it('makes the admin pair and a Prometheus identity in system:monitoring', async () => {
    await certsCommand(['init', '--data-dir', dir], context);
    const p = pkiPaths(join(dir, 'pki'));
    expect(parseSubject(cert(p.adminCert).subject)).toMatchObject({ O: ['system:masters'] });
    expect(parseSubject(cert(p.clientCert('prometheus')).subject)).toEqual({
      CN: ['system:prometheus'],
      O: ['system:monitoring'],
    });
  });

  it('writes an admin kubeconfig with one HTTPS context per master on 127.0.0.1', async () => {
    await certsCommand(['init', '--data-dir', dir], context);
    const text = readFileSync(join(dir, 'kubeconfig'), 'utf8');
    const peers = peerContexts(parseKubeconfig(text, join(dir, 'kubeconfig')));
    expect(peers.map((c) => c.server)).toEqual([
      'https://127.0.0.1:6443',
      'https://127.0.0.1:6444',
      'https://127.0.0.1:6445',
    ]);
    const p = pkiPaths(join(dir, 'pki'));
    const b64 = (f: string) => readFileSync(f).toString('base64');
    expect(text).toContain(`client-certificate-data: ${b64(p.adminCert)}`);
    expect(text).toContain(`certificate-authority-data: ${b64(p.caCert)}`);
  });

  it('keeps what exists on a second run, and reissues only serving pairs for a new --host', async () => {
    await certsCommand(['init', '--data-dir', dir], context);
    const p = pkiPaths(join(dir, 'pki'));
    const before = {
      ca: readFileSync(p.caCert, 'utf8'),
      admin: readFileSync(p.adminCert, 'utf8'),
      server: readFileSync(p.serverCert('m1'), 'utf8'),
      kubeconfig: readFileSync(join(dir, 'kubeconfig'), 'utf8'),
    };
    await certsCommand(['init', '--data-dir', dir], context);
    expect(readFileSync(p.caCert, 'utf8')).toBe(before.ca);
    expect(readFileSync(p.serverCert('m1'), 'utf8')).toBe(before.server);
    expect(readFileSync(join(dir, 'kubeconfig'), 'utf8')).toBe(before.kubeconfig);

    await certsCommand(['init', '--data-dir', dir, '--host', '10.1.2.3'], context);
    expect(readFileSync(p.caCert, 'utf8')).toBe(before.ca);
    expect(readFileSync(p.adminCert, 'utf8')).toBe(before.admin);
    expect(cert(p.serverCert('m1')).checkIP('10.1.2.3')).toBe('10.1.2.3');
  });

  it('gives each --node its identity and an in-network kubeconfig (masters by name), and kube-proxy one', async () => {
    await certsCommand(['init', '--data-dir', dir, '--node', 'w1', '--node=w2'], context);
    const p = pkiPaths(join(dir, 'pki'));
    expect(parseSubject(cert(p.nodeCert('w2')).subject)).toEqual({
      CN: ['system:node:w2'],
      O: ['system:nodes'],
    });
    const b64 = (f: string) => readFileSync(f).toString('base64');
    for (const [file, certFile] of [
      ['w1', p.nodeCert('w1')],
      ['w2', p.nodeCert('w2')],
      ['kube-proxy', p.clientCert('kube-proxy')],
    ]) {
      const path = join(dir, 'nodes', `${file}.kubeconfig`);
      const text = readFileSync(path, 'utf8');
      expect(peerContexts(parseKubeconfig(text, path)).map((c) => c.server)).toEqual([
        'https://m1:6443',
        'https://m2:6443',
        'https://m3:6443',
      ]);
      expect(text).toContain(`client-certificate-data: ${b64(certFile)}`);
      expect(text).toContain(`certificate-authority-data: ${b64(p.caCert)}`);
    }
    const w1 = readFileSync(p.nodeCert('w1'), 'utf8');
    await certsCommand(['init', '--data-dir', dir, '--node', 'w1'], context);
    expect(readFileSync(p.nodeCert('w1'), 'utf8')).toBe(w1);
  });

  it('takes the member count and ports from flags', async () => {
    await certsCommand(
      ['init', '--data-dir', dir, '--members=1', '--base-api-port', '7443', '--api-host', 'h1'],
      context,
    );
    const text = readFileSync(join(dir, 'kubeconfig'), 'utf8');
    expect(text).toContain('server: https://h1:7443');
    expect(text).not.toContain('flotilla-m2');
  });

  it.each([
    [['init', '--members', '0'], /--members: must be 1 to 9/],
    [['init', '--members', 'three'], /--members: must be a whole number/],
    [['init', '--base-api-port', '65535', '--members', '3'], /--base-api-port/],
    [['init', 'extra'], /unexpected extra/],
    [['init', '--service-cidr', 'nonsense'], /--service-cidr/],
    [['init', '--node', 'W_1'], /--node: "W_1" is not a valid node name/],
  ])('refuses %j with a clear error', async (argv, message) => {
    const run = certsCommand([...argv, '--data-dir', dir], context);
    await expect(run).rejects.toThrow(ConfigError);
    await expect(certsCommand([...argv, '--data-dir', dir], context)).rejects.toThrow(message);
  });
});
