import { formatHostPort } from '@flotilla/process';

export interface KubeconfigMember {
  name: string;
  apiPort: number;
}

/**
 * A kubeconfig with one cluster and one context per master (flotilla-m1..), current context the
 * first. Plain HTTP on loopback: the API port has no TLS yet, so no credentials either.
 */
export function renderKubeconfig(members: KubeconfigMember[], host: string): string {
  const connectHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const lines = ['apiVersion: v1', 'kind: Config', 'clusters:'];
  for (const m of members) {
    lines.push(
      `- name: flotilla-${m.name}`,
      '  cluster:',
      `    server: http://${formatHostPort(connectHost, m.apiPort)}`,
      // client-node refuses http:// unless this is set; kubectl ignores it without TLS.
      '    insecure-skip-tls-verify: true',
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
    '  user: {}',
    'preferences: {}',
  );
  return `${lines.join('\n')}\n`;
}
