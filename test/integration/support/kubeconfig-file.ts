// A one-context kubeconfig for kubectl against a test API server: anonymous over plain HTTP, or
// with a CA and a client pair over HTTPS.
import { writeFileSync } from 'node:fs';

export interface KubeconfigCredentials {
  caPem?: string;
  certPem?: string;
  keyPem?: string;
}

const b64 = (pem: string) => Buffer.from(pem).toString('base64');

/** Writes the kubeconfig to file and returns the path. */
export function writeKubeconfig(
  file: string,
  server: string,
  creds: KubeconfigCredentials = {},
): string {
  const cluster = creds.caPem
    ? `{server: "${server}", certificate-authority-data: ${b64(creds.caPem)}}`
    : `{server: "${server}"}`;
  const user =
    creds.certPem && creds.keyPem
      ? `{client-certificate-data: ${b64(creds.certPem)}, client-key-data: ${b64(creds.keyPem)}}`
      : '{}';
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: t, cluster: ${cluster}}]`,
      `users: [{name: u, user: ${user}}]`,
      'contexts: [{name: t, context: {cluster: t, user: u}}]',
      'current-context: t',
    ].join('\n'),
  );
  return file;
}
