import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureClusterPki, issueNodeCertificate, pkiPaths } from '@flotilla/pki';
import { stringify as stringifyYaml } from 'yaml';
import type { TextResponse } from '../../integration/support/wait';

/** Who a request is made as: the cluster admin, Prometheus's identity, or nobody. */
export type Identity = 'admin' | 'prometheus' | 'anonymous';

/** What an HTTPS or gRPC client needs: the CA to trust, and a client pair unless anonymous. */
export interface ClientTls {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** Where the masters' containers find the PKI (FLOTILLA_PKI_DIR), read-only. */
export const MASTER_PKI_DIR = '/etc/flotilla/pki';
/** Where Prometheus finds its credentials (deploy/prometheus/prometheus.yml's tls_config). */
export const PROMETHEUS_TLS_DIR = '/etc/prometheus/flotilla';

/**
 * A cluster PKI for one test run, in a temporary directory, laid out as deploy/compose-pki.sh
 * lays out compose's: pki/ for the masters, prometheus/ with Prometheus's pair readable by the
 * container's `nobody`.
 */
export class E2ePki {
  private constructor(readonly dir: string) {}

  get pkiDir(): string {
    return join(this.dir, 'pki');
  }

  get prometheusDir(): string {
    return join(this.dir, 'prometheus');
  }

  /** Masters m1..m3; their serving certificates also name `hosts` (where the test reaches them). */
  static async create(masters: readonly string[], hosts: readonly string[]): Promise<E2ePki> {
    const pki = new E2ePki(mkdtempSync(join(tmpdir(), 'flotilla-e2e-pki-')));
    try {
      await ensureClusterPki(pki.pkiDir, {
        masters: masters.map((name) => ({ name, hosts: [...hosts] })),
        serviceIp: '10.96.0.1',
      });
      mkdirSync(pki.prometheusDir);
      for (const file of ['ca.crt', 'prometheus.crt', 'prometheus.key']) {
        copyFileSync(join(pki.pkiDir, file), join(pki.prometheusDir, file));
        chmodSync(join(pki.prometheusDir, file), 0o644);
      }
    } catch (err) {
      pki.remove();
      throw err;
    }
    return pki;
  }

  tls(identity: Identity): ClientTls {
    const p = pkiPaths(this.pkiDir);
    const ca = readFileSync(p.caCert);
    if (identity === 'anonymous') return { ca };
    const [cert, key] =
      identity === 'admin'
        ? [p.adminCert, p.adminKey]
        : [p.clientCert('prometheus'), p.clientKey('prometheus')];
    return { ca, cert: readFileSync(cert), key: readFileSync(key) };
  }

  /**
   * A kubeconfig file for a node agent: system:node:<node> (issued now), or kube-proxy's shared
   * identity for node 'kube-proxy'; one cluster and context per server, as `flotilla up` writes.
   */
  async kubeconfig(
    node: string,
    servers: readonly { name: string; url: string }[],
  ): Promise<string> {
    const p = pkiPaths(this.pkiDir);
    const pair =
      node === 'kube-proxy'
        ? { cert: p.clientCert('kube-proxy'), key: p.clientKey('kube-proxy') }
        : await issueNodeCertificate(this.pkiDir, node);
    const b64 = (file: string) => readFileSync(file).toString('base64');
    const doc = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: servers.map((s) => ({
        name: s.name,
        cluster: { server: s.url, 'certificate-authority-data': b64(p.caCert) },
      })),
      contexts: servers.map((s) => ({ name: s.name, context: { cluster: s.name, user: node } })),
      'current-context': servers[0].name,
      users: [
        {
          name: node,
          user: { 'client-certificate-data': b64(pair.cert), 'client-key-data': b64(pair.key) },
        },
      ],
    };
    mkdirSync(join(this.dir, 'nodes'), { recursive: true });
    const file = join(this.dir, 'nodes', `${node}.kubeconfig`);
    writeFileSync(file, stringifyYaml(doc), { mode: 0o644 });
    return file;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** GET over HTTPS with the given trust and identity; bounded at 5 s like getText. */
export function httpsGetText(url: string, tls: ClientTls): Promise<TextResponse> {
  return httpsRequest(url, tls);
}

/**
 * Any method over HTTPS with the given trust and identity; body as JSON (merge patch for PATCH,
 * as kubectl sends). Bounded at 5 s like getText.
 */
export function httpsRequest(
  url: string,
  tls: ClientTls,
  method = 'GET',
  body?: unknown,
): Promise<TextResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> =
    payload === undefined
      ? {}
      : {
          'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
          'content-length': String(Buffer.byteLength(payload)),
        };
  return new Promise((resolve, reject) => {
    const req = request(url, { ...tls, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          contentType: res.headers['content-type'] ?? null,
        }),
      );
    });
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${url}: no answer in 5 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The response, or undefined while nothing answers there. */
export async function tryHttpsGetText(
  url: string,
  tls: ClientTls,
): Promise<TextResponse | undefined> {
  try {
    return await httpsGetText(url, tls);
  } catch {
    return undefined;
  }
}
