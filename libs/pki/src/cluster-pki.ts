// The files of a cluster's PKI directory (./data/pki for `flotilla up`, a volume for compose):
// one CA, a serving and a peer pair per master, client pairs for the admin, each control-plane
// component and each node, and the key that signs service-account tokens.
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  CertificatePair,
  CertificateRequest,
  createCa,
  issueCertificate,
  issueCertificates,
} from './certificates';

export interface PkiMaster {
  name: string;
  /** Names and addresses clients and peers reach it by (beyond loopback and its name). */
  hosts: string[];
}

export interface ClusterPkiPlan {
  masters: PkiMaster[];
  /** The `kubernetes` Service's ClusterIP (the first address of the Service CIDR). */
  serviceIp: string;
  /** Worker nodes to make kubelet client certificates for (system:node:<name>). */
  nodes?: string[];
}

/** The admin of `flotilla up`: in system:masters, which RBAC always allows. */
export const ADMIN_USER = 'flotilla-admin';
export const MASTERS_GROUP = 'system:masters';

/** The client identities of the control-plane components (Kubernetes' own names). */
export const COMPONENT_IDENTITIES: readonly { file: string; user: string; groups: string[] }[] = [
  { file: 'kube-scheduler', user: 'system:kube-scheduler', groups: [] },
  { file: 'kube-controller-manager', user: 'system:kube-controller-manager', groups: [] },
  // The API server's own client certificate towards kubelets.
  { file: 'apiserver-kubelet-client', user: 'system:apiserver', groups: [MASTERS_GROUP] },
  // Every node's kube-proxy (bound to system:node-proxier), as kubeadm's shared one.
  { file: 'kube-proxy', user: 'system:kube-proxy', groups: [] },
  // What Prometheus scrapes /metrics with.
  { file: 'prometheus', user: 'system:prometheus', groups: ['system:monitoring'] },
];

/** Where each file of the layout is. */
export const pkiPaths = (dir: string) => ({
  caCert: join(dir, 'ca.crt'),
  caKey: join(dir, 'ca.key'),
  adminCert: join(dir, 'admin.crt'),
  adminKey: join(dir, 'admin.key'),
  serviceAccountKey: join(dir, 'sa.key'),
  serviceAccountPub: join(dir, 'sa.pub'),
  serverCert: (master: string) => join(dir, `server-${master}.crt`),
  serverKey: (master: string) => join(dir, `server-${master}.key`),
  peerCert: (master: string) => join(dir, `peer-${master}.crt`),
  peerKey: (master: string) => join(dir, `peer-${master}.key`),
  clientCert: (file: string) => join(dir, `${file}.crt`),
  clientKey: (file: string) => join(dir, `${file}.key`),
  nodeCert: (node: string) => join(dir, `node-${node}.crt`),
  nodeKey: (node: string) => join(dir, `node-${node}.key`),
  kubeletServingCert: (node: string) => join(dir, `kubelet-${node}.crt`),
  kubeletServingKey: (node: string) => join(dir, `kubelet-${node}.key`),
  encryptionConfig: join(dir, 'encryption-config.yaml'),
});

/** The SANs every master's serving certificate carries besides its own hosts. */
export function servingHosts(master: PkiMaster, serviceIp: string): string[] {
  const hosts = [
    'localhost',
    '127.0.0.1',
    '::1',
    master.name,
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
    serviceIp,
    ...master.hosts,
  ];
  return [...new Set(hosts.filter((h) => h !== '0.0.0.0' && h !== '::'))];
}

/**
 * Makes whatever the directory lacks (a CA first, if none), leaving what exists alone: a second
 * `flotilla up` keeps the certificates kubeconfigs already trust.
 */
export async function ensureClusterPki(dir: string, plan: ClusterPkiPlan): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const paths = pkiPaths(dir);
  if (!existsSync(paths.caCert) || !existsSync(paths.caKey)) {
    writePair(paths.caCert, paths.caKey, await createCa({ commonName: 'flotilla-ca' }));
  }
  if (!existsSync(paths.serviceAccountKey)) writeServiceAccountKey(dir);
  if (!existsSync(paths.encryptionConfig)) {
    writeAtomic(paths.encryptionConfig, encryptionConfigText(randomBytes(32)), 0o600);
  }
  await issueLeaves(dir, plan, (cert) => !existsSync(cert));
}

/**
 * Issues every leaf certificate of the directory again from the same CA, with the same subject,
 * names and usages (new keys, new validity): servers reload them when the files change, and
 * clients that trust the CA keep working. Returns the certificates written.
 */
export async function rotateClusterPki(dir: string): Promise<string[]> {
  const paths = pkiPaths(dir);
  if (!existsSync(paths.caCert) || !existsSync(paths.caKey)) {
    throw new Error(`${dir} has no CA (ca.crt and ca.key); run flotilla up first`);
  }
  const ca = readCa(dir);
  const written: string[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.crt') || file === 'ca.crt') continue;
    const certFile = join(dir, file);
    const keyFile = certFile.replace(/\.crt$/, '.key');
    if (!existsSync(keyFile)) continue;
    const old = new X509Certificate(readFileSync(certFile));
    writePair(certFile, keyFile, await issueCertificate(ca, requestLike(old)));
    written.push(certFile);
  }
  return written;
}

/** What a certificate says, as a request for the same again. */
export function requestLike(cert: X509Certificate): CertificateRequest {
  const subject = parseSubject(cert.subject);
  const usages = cert.keyUsage ?? [];
  const server = usages.includes('1.3.6.1.5.5.7.3.1');
  const client = usages.includes('1.3.6.1.5.5.7.3.2');
  const hosts = (cert.subjectAltName ?? '')
    .split(', ')
    .filter((s) => s !== '')
    .map((s) => s.replace(/^(DNS|IP Address):/, ''));
  return {
    commonName: subject.CN?.[0] ?? '',
    organizations: subject.O ?? [],
    hosts,
    usage: server && client ? 'peer' : server ? 'server' : 'client',
  };
}

/** Node's subject text ("CN=x\nO=a\nO=b", specials escaped with a backslash) by attribute. */
export function parseSubject(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).replace(/\\(.)/g, '$1');
    (out[key] ??= []).push(value);
  }
  return out;
}

/** A client certificate for a user (CN) in groups (O), signed by the cluster CA. */
export async function issueUserCertificate(
  dir: string,
  user: string,
  groups: string[],
  validDays = 365,
): Promise<CertificatePair> {
  return issueCertificate(readCa(dir), {
    commonName: user,
    organizations: groups,
    usage: 'client',
    validDays,
  });
}

/**
 * A kubelet's client certificate (CN=system:node:<name>, O=system:nodes: what the Node
 * authorizer knows it by), written to node-<name>.crt and .key; returns the two paths.
 */
export async function issueNodeCertificate(
  dir: string,
  node: string,
): Promise<{ cert: string; key: string }> {
  const paths = pkiPaths(dir);
  const cert = paths.nodeCert(node);
  const key = paths.nodeKey(node);
  writePair(cert, key, await issueCertificate(readCa(dir), nodeRequest(node)));
  return { cert, key };
}

/**
 * The serving pair of a node's kubelet server (logs, exec, port-forward), as the kubelet's
 * serving certificates are in Kubernetes: CN=system:node:<name>, O=system:nodes, the node's name
 * and addresses as SANs, so an API server verifying kubelets against the cluster CA
 * (--kubelet-certificate-authority) reaches it by its InternalIP. Written to kubelet-<name>.crt
 * and .key; returns the two paths.
 */
export async function issueKubeletServingCertificate(
  dir: string,
  node: string,
  addresses: readonly string[],
): Promise<{ cert: string; key: string }> {
  if (addresses.length === 0) throw new Error(`kubelet serving certificate of ${node}: no address`);
  const paths = pkiPaths(dir);
  const cert = paths.kubeletServingCert(node);
  const key = paths.kubeletServingKey(node);
  writePair(
    cert,
    key,
    await issueCertificate(readCa(dir), {
      commonName: `system:node:${node}`,
      organizations: ['system:nodes'],
      hosts: [node, ...addresses],
      usage: 'server',
    }),
  );
  return { cert, key };
}

/**
 * Client pairs for many nodes at once, in memory (hollow nodes: one key pair per node, as every
 * kubelet has its own, without a thousand files).
 */
export async function issueNodeCertificates(
  dir: string,
  nodes: readonly string[],
): Promise<Map<string, CertificatePair>> {
  const pairs = await issueCertificates(readCa(dir), nodes.map(nodeRequest));
  return new Map(nodes.map((n, i) => [n, pairs[i]]));
}

function nodeRequest(node: string): CertificateRequest {
  return {
    commonName: `system:node:${node}`,
    organizations: ['system:nodes'],
    hosts: [node],
    usage: 'peer',
  };
}

export function readCa(dir: string): CertificatePair {
  const paths = pkiPaths(dir);
  return {
    certPem: readFileSync(paths.caCert, 'utf8'),
    keyPem: readFileSync(paths.caKey, 'utf8'),
  };
}

async function issueLeaves(
  dir: string,
  plan: ClusterPkiPlan,
  wanted: (certFile: string) => boolean,
): Promise<string[]> {
  const paths = pkiPaths(dir);
  const ca = readCa(dir);
  const jobs: { cert: string; key: string; req: CertificateRequest }[] = [
    {
      cert: paths.adminCert,
      key: paths.adminKey,
      req: { commonName: ADMIN_USER, organizations: [MASTERS_GROUP], usage: 'client' },
    },
    ...COMPONENT_IDENTITIES.map((c) => ({
      cert: paths.clientCert(c.file),
      key: paths.clientKey(c.file),
      req: { commonName: c.user, organizations: c.groups, usage: 'client' as const },
    })),
    ...plan.masters.flatMap((m) => [
      {
        cert: paths.serverCert(m.name),
        key: paths.serverKey(m.name),
        req: {
          commonName: m.name,
          hosts: servingHosts(m, plan.serviceIp),
          usage: 'server' as const,
        },
      },
      {
        // The peer port checks that the certificate names a member: CN and a SAN are its name.
        cert: paths.peerCert(m.name),
        key: paths.peerKey(m.name),
        req: {
          commonName: m.name,
          hosts: [m.name, 'localhost', '127.0.0.1', ...m.hosts],
          usage: 'peer' as const,
        },
      },
    ]),
    ...(plan.nodes ?? []).map((n) => ({
      cert: paths.nodeCert(n),
      key: paths.nodeKey(n),
      req: nodeRequest(n),
    })),
  ];
  const written: string[] = [];
  for (const job of jobs) {
    if (!wanted(job.cert)) continue;
    writePair(job.cert, job.key, await issueCertificate(ca, job.req));
    written.push(job.cert);
  }
  return written;
}

/**
 * Secrets encrypted at rest with AES-GCM under a fresh 256-bit key; identity after it so Secrets
 * stored before encryption was on still read. To rotate: put a new key first, restart the
 * masters one by one, write every Secret again (kubectl get secrets -A -o json | kubectl
 * replace -f -), then drop the old key.
 */
export function encryptionConfigText(key: Buffer, keyName = 'key1'): string {
  return [
    'apiVersion: apiserver.config.k8s.io/v1',
    'kind: EncryptionConfiguration',
    'resources:',
    '  - resources:',
    '      - secrets',
    '    providers:',
    '      - aesgcm:',
    '          keys:',
    `            - name: ${keyName}`,
    `              secret: ${key.toString('base64')}`,
    '      - identity: {}',
    '',
  ].join('\n');
}

/** The service-account signing key: ES256, private (sa.key) and public (sa.pub). */
function writeServiceAccountKey(dir: string): void {
  const paths = pkiPaths(dir);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeAtomic(
    paths.serviceAccountKey,
    privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    0o600,
  );
  writeAtomic(
    paths.serviceAccountPub,
    publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    0o644,
  );
}

/** Key first, then certificate: a server reloading on the certificate's change finds both new. */
export function writePair(certFile: string, keyFile: string, pair: CertificatePair): void {
  writeAtomic(keyFile, pair.keyPem, 0o600);
  writeAtomic(certFile, pair.certPem, 0o644);
}

/** Written beside, then renamed: a reader sees the old file or the new one, never half. */
function writeAtomic(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
}
