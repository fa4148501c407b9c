import { formatHostPort } from '@flotilla/process';

export interface KubeconfigMember {
  name: string;
  apiPort: number;
}

/** HTTPS: the CA of the serving certificates, and the user's credentials (all base64 PEM). */
export interface KubeconfigTls {
  caData: string;
  token?: string;
  clientCertData?: string;
  clientKeyData?: string;
}

/**
 * A kubeconfig with one cluster and one context per master (flotilla-m1..), current context the
 * first. With `tls`: HTTPS, trusting the cluster CA, as the admin (a client certificate or a
 * token); without: plain HTTP on loopback (--insecure) and no credentials.
 */
export function renderKubeconfig(
  members: KubeconfigMember[],
  host: string,
  tls?: KubeconfigTls,
): string {
  const caData = tls?.caData;
  const connectHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const lines = ['apiVersion: v1', 'kind: Config', 'clusters:'];
  for (const m of members) {
    const server = `${caData ? 'https' : 'http'}://${formatHostPort(connectHost, m.apiPort)}`;
    lines.push(`- name: flotilla-${m.name}`, '  cluster:', `    server: ${server}`);
    // client-node refuses http:// unless this is set; kubectl ignores it without TLS.
    lines.push(
      caData ? `    certificate-authority-data: ${caData}` : '    insecure-skip-tls-verify: true',
    );
  }
  lines.push('contexts:');
  for (const m of members) {
    lines.push(
      `- name: flotilla-${m.name}`,
      '  context:',
      `    cluster: flotilla-${m.name}`,
      '    user: flotilla',
      '    namespace: default',
    );
  }
  lines.push(
    `current-context: flotilla-${members[0].name}`,
    'users:',
    '- name: flotilla',
    tls ? `  user:\n${userLines(tls)}` : '  user: {}',
    'preferences: {}',
  );
  return `${lines.join('\n')}\n`;
}

function userLines(tls: KubeconfigTls): string {
  const lines: string[] = [];
  if (tls.clientCertData) lines.push(`    client-certificate-data: ${tls.clientCertData}`);
  if (tls.clientKeyData) lines.push(`    client-key-data: ${tls.clientKeyData}`);
  if (tls.token) lines.push(`    token: ${tls.token}`);
  return lines.join('\n');
}
