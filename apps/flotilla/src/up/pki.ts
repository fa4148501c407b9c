import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@flotilla/process';

export interface Pki {
  caCertFile: string;
  certFile: string;
  keyFile: string;
  /** Kubernetes --token-auth-file format; the kubeconfig carries the admin token. */
  tokenFile: string;
  adminToken: string;
}

/**
 * A private CA and one serving certificate for the masters' API ports (loopback and the listen
 * host as subject alternative names), made once with openssl and kept under DIR/pki.
 */
export function ensurePki(dataDir: string, hosts: string[]): Pki {
  const dir = join(dataDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tokenFile = join(dir, 'tokens.csv');
  if (!existsSync(tokenFile)) {
    const token = randomBytes(24).toString('base64url');
    writeFileSync(tokenFile, `${token},admin,admin,"system:masters"\n`, { mode: 0o600 });
  }
  const pki: Pki = {
    caCertFile: join(dir, 'ca.crt'),
    certFile: join(dir, 'apiserver.crt'),
    keyFile: join(dir, 'apiserver.key'),
    tokenFile,
    adminToken: readFileSync(tokenFile, 'utf8').split(',')[0],
  };
  if (existsSync(pki.caCertFile) && existsSync(pki.certFile) && existsSync(pki.keyFile)) return pki;
  const caKey = join(dir, 'ca.key');
  const csr = join(dir, 'apiserver.csr');
  const ext = join(dir, 'apiserver.ext');
  const san = [...new Set(['127.0.0.1', '::1', 'localhost', ...hosts])]
    .filter((h) => h !== '0.0.0.0' && h !== '::')
    .map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`))
    .join(',');
  writeFileSync(
    ext,
    `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`,
  );
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    openssl([
      'req',
      '-x509',
      ...ec,
      '-keyout',
      caKey,
      '-out',
      pki.caCertFile,
      '-days',
      '3650',
      '-subj',
      '/CN=flotilla-ca',
    ]);
    openssl(['req', ...ec, '-keyout', pki.keyFile, '-out', csr, '-subj', '/CN=flotilla-apiserver']);
    openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      pki.caCertFile,
      '-CAkey',
      caKey,
      '-CAcreateserial',
      '-out',
      pki.certFile,
      '-days',
      '825',
      '-extfile',
      ext,
    ]);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new ConfigError(
      `--tls: could not make certificates with openssl (${(e as Error).message.split('\n')[0]})`,
    );
  }
  rmSync(csr, { force: true });
  return pki;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function caData(pki: Pki): string {
  return readFileSync(pki.caCertFile).toString('base64');
}
