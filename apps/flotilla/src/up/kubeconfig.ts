import { formatHostPort } from '@flotilla/process';

export interface KubeconfigMember {
  name: string;
  apiPort: number;
}

/**
 * A kubeconfig with one cluster and one context per master (flotilla-m1..), current context the
 * first. Plain HTTP on loopback: the API port has no TLS yet, so no credentials either.
 */
export function renderKubeconfig(
  members: KubeconfigMember[],
  host: string,
  /** With HTTPS: the CA that signed the API certificate (base64 PEM) and the admin token. */
  tls?: { caData: string; token: string },
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
    tls ? `  user:\n    token: ${tls.token}` : '  user: {}',
    'preferences: {}',
  );
  return `${lines.join('\n')}\n`;
}
