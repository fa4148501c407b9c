// How a master protects its three ports. Secure (the default): HTTPS on the API port with x509
// client certificates, tokens and RBAC; gRPC over TLS with client certificates on the etcd
// port; mutual TLS on the peer port. Insecure (--insecure): today's plain HTTP, no
// authentication, every request allowed, as kube-apiserver's old insecure port, and therefore
// on loopback only.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, isLoopbackHost, OptionSpec, Setting, settingError } from '@flotilla/process';

export type SecurityConfig =
  | { mode: 'insecure' }
  | {
      mode: 'secure';
      /** Serving pair of the API and etcd ports. */
      tlsCertFile: string;
      tlsKeyFile: string;
      /** CA that client certificates (API and etcd ports) must chain to. */
      clientCaFile: string;
      peerCertFile: string;
      peerKeyFile: string;
      /** CA that peers' certificates must chain to. */
      peerCaFile: string;
      /** Static bearer tokens, Kubernetes' --token-auth-file format. */
      tokenAuthFile?: string;
      /** ES256 private key (PEM) that signs and verifies service-account tokens. */
      serviceAccountKeyFile?: string;
      /** EncryptionConfiguration for Secrets at rest. */
      encryptionConfigFile?: string;
      /** Audit log (JSON lines) and its policy. */
      auditLogPath?: string;
      auditPolicyFile?: string;
      /** The API server's client pair toward kubelets (pods/log, exec, port-forward). */
      kubeletClientCertFile?: string;
      kubeletClientKeyFile?: string;
      /** CA that kubelets' serving certificates must chain to; absent: not verified. */
      kubeletCaFile?: string;
    };

export const SECURITY_OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'insecure',
    env: 'FLOTILLA_INSECURE',
    boolean: true,
    description:
      'plain HTTP and gRPC, no authentication, every request allowed (loopback only; tests and development)',
  },
  {
    flag: 'insecure-bind-any',
    env: 'FLOTILLA_INSECURE_BIND_ANY',
    boolean: true,
    description:
      'with --insecure, listen on a non-loopback --listen-host anyway (private test networks only)',
  },
  {
    flag: 'pki-dir',
    env: 'FLOTILLA_PKI_DIR',
    valueName: 'DIR',
    description:
      'the cluster PKI directory (flotilla up writes one): ca.crt, server-NAME.crt/.key, peer-NAME.crt/.key, sa.key',
  },
  {
    flag: 'tls-cert-file',
    env: 'FLOTILLA_TLS_CERT_FILE',
    valueName: 'FILE',
    description: 'PEM serving certificate of the API and etcd ports',
    defaultText: 'DIR/server-NAME.crt with --pki-dir',
  },
  {
    flag: 'tls-private-key-file',
    env: 'FLOTILLA_TLS_PRIVATE_KEY_FILE',
    valueName: 'FILE',
    description: 'PEM private key of --tls-cert-file',
  },
  {
    flag: 'client-ca-file',
    env: 'FLOTILLA_CLIENT_CA_FILE',
    valueName: 'FILE',
    description: 'CA of client certificates (user = CN, groups = O) on the API and etcd ports',
    defaultText: 'DIR/ca.crt with --pki-dir',
  },
  {
    flag: 'peer-cert-file',
    env: 'FLOTILLA_PEER_CERT_FILE',
    valueName: 'FILE',
    description: "this member's certificate on the peer port (mutual TLS; names the member)",
  },
  {
    flag: 'peer-key-file',
    env: 'FLOTILLA_PEER_KEY_FILE',
    valueName: 'FILE',
    description: 'PEM private key of --peer-cert-file',
  },
  {
    flag: 'peer-trusted-ca-file',
    env: 'FLOTILLA_PEER_TRUSTED_CA_FILE',
    valueName: 'FILE',
    description: "CA of the peers' certificates",
    defaultText: '--client-ca-file',
  },
  {
    flag: 'token-auth-file',
    env: 'FLOTILLA_TOKEN_AUTH_FILE',
    valueName: 'FILE',
    description: 'static bearer tokens (token,user,uid[,"groups"] per line)',
  },
  {
    flag: 'service-account-key-file',
    env: 'FLOTILLA_SERVICE_ACCOUNT_KEY_FILE',
    valueName: 'FILE',
    description: 'EC P-256 private key (PEM) that signs service-account tokens',
    defaultText: 'DIR/sa.key with --pki-dir',
  },
  {
    flag: 'encryption-provider-config',
    env: 'FLOTILLA_ENCRYPTION_PROVIDER_CONFIG',
    valueName: 'FILE',
    description: 'EncryptionConfiguration (aesgcm, aescbc, identity) for Secrets at rest',
  },
  {
    flag: 'audit-log-path',
    env: 'FLOTILLA_AUDIT_LOG_PATH',
    valueName: 'FILE',
    description: 'append audit events (JSON lines) here',
  },
  {
    flag: 'audit-policy-file',
    env: 'FLOTILLA_AUDIT_POLICY_FILE',
    valueName: 'FILE',
    description: 'audit Policy (levels None, Metadata, Request)',
    defaultText: 'Metadata for every request',
  },
  {
    flag: 'kubelet-client-certificate',
    env: 'FLOTILLA_KUBELET_CLIENT_CERTIFICATE',
    valueName: 'FILE',
    description: 'client certificate the API server shows kubelets (logs, exec, port-forward)',
    defaultText: 'DIR/apiserver-kubelet-client.crt with --pki-dir',
  },
  {
    flag: 'kubelet-client-key',
    env: 'FLOTILLA_KUBELET_CLIENT_KEY',
    valueName: 'FILE',
    description: 'PEM private key of --kubelet-client-certificate',
    defaultText: 'DIR/apiserver-kubelet-client.key with --pki-dir',
  },
  {
    flag: 'kubelet-certificate-authority',
    env: 'FLOTILLA_KUBELET_CERTIFICATE_AUTHORITY',
    valueName: 'FILE',
    description: "CA of the kubelets' serving certificates (unset: not verified, as Kubernetes)",
  },
];

/** Flags that only make sense in the secure mode. */
const SECURE_ONLY = SECURITY_OPTIONS.map((o) => o.flag).filter(
  (f) => f !== 'insecure' && f !== 'insecure-bind-any',
);

export function parseSecurityConfig(
  get: (flag: string) => Setting | undefined,
  context: { cwd: string; name: string; listenHost: string },
): SecurityConfig {
  const path = (flag: string): string | undefined => {
    const s = get(flag);
    return s ? resolve(context.cwd, s.value) : undefined;
  };
  if (get('insecure')) {
    const clash = SECURE_ONLY.find((f) => get(f));
    if (clash) throw settingError(get(clash)!.source, 'cannot be combined with --insecure');
    if (!isLoopbackHost(context.listenHost) && !get('insecure-bind-any')) {
      throw settingError(
        get('insecure')!.source,
        `plain HTTP without authentication listens on loopback only, not ${context.listenHost}: ` +
          'give --pki-dir (or the TLS files), or --insecure-bind-any on a private test network',
      );
    }
    return { mode: 'insecure' };
  }
  const dir = path('pki-dir');
  const fromDir = (file: string) => (dir ? join(dir, file) : undefined);
  const tlsCertFile = path('tls-cert-file') ?? fromDir(`server-${context.name}.crt`);
  const tlsKeyFile = path('tls-private-key-file') ?? fromDir(`server-${context.name}.key`);
  const clientCaFile = path('client-ca-file') ?? fromDir('ca.crt');
  const peerCertFile = path('peer-cert-file') ?? fromDir(`peer-${context.name}.crt`);
  const peerKeyFile = path('peer-key-file') ?? fromDir(`peer-${context.name}.key`);
  const missing = [
    ['--tls-cert-file', tlsCertFile],
    ['--tls-private-key-file', tlsKeyFile],
    ['--client-ca-file', clientCaFile],
    ['--peer-cert-file', peerCertFile],
    ['--peer-key-file', peerKeyFile],
  ]
    .filter(([, v]) => v === undefined)
    .map(([f]) => f);
  if (missing.length > 0) {
    throw new ConfigError(
      `TLS is on by default and needs ${missing.join(', ')}: give --pki-dir DIR (flotilla up ` +
        'writes one under data/pki), or --insecure for plain HTTP on loopback',
    );
  }
  const saDefault = fromDir('sa.key');
  const tokensDefault = fromDir('tokens.csv');
  return {
    mode: 'secure',
    tlsCertFile: tlsCertFile!,
    tlsKeyFile: tlsKeyFile!,
    clientCaFile: clientCaFile!,
    peerCertFile: peerCertFile!,
    peerKeyFile: peerKeyFile!,
    peerCaFile: path('peer-trusted-ca-file') ?? clientCaFile!,
    ...optional('tokenAuthFile', path('token-auth-file') ?? existing(tokensDefault)),
    ...optional('serviceAccountKeyFile', path('service-account-key-file') ?? existing(saDefault)),
    ...optional('encryptionConfigFile', path('encryption-provider-config')),
    ...optional('auditLogPath', path('audit-log-path')),
    ...optional('auditPolicyFile', path('audit-policy-file')),
    ...optional(
      'kubeletClientCertFile',
      path('kubelet-client-certificate') ?? existing(fromDir('apiserver-kubelet-client.crt')),
    ),
    ...optional(
      'kubeletClientKeyFile',
      path('kubelet-client-key') ?? existing(fromDir('apiserver-kubelet-client.key')),
    ),
    ...optional('kubeletCaFile', path('kubelet-certificate-authority')),
  };
}

function existing(file: string | undefined): string | undefined {
  return file && existsSync(file) ? file : undefined;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
