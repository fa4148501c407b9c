// X.509 certificates for the cluster: Node's crypto parses certificates (X509Certificate) and
// signs bytes, but cannot build a certificate, so the DER comes from @peculiar/x509 over
// Node's WebCrypto. Keys are ECDSA P-256: quick to make, and every client here (kubectl,
// etcdctl, Node's TLS) takes them.
import 'reflect-metadata';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

/** A certificate and its private key, both PEM. */
export interface CertificatePair {
  certPem: string;
  keyPem: string;
}

/**
 * What a certificate says. `server`: TLS server auth; `client`: TLS client auth (Kubernetes reads
 * CN as the user, O as the groups); `peer`: both, as etcd's and Raft's peer certificates are.
 */
export interface CertificateRequest {
  commonName: string;
  organizations?: string[];
  /** Subject alternative names; each is a DNS name or an IP address (told apart by form). */
  hosts?: string[];
  usage: 'server' | 'client' | 'peer';
  notBefore?: Date;
  validDays?: number;
}

export interface CaRequest {
  commonName: string;
  notBefore?: Date;
  validDays?: number;
}

/** A self-signed CA: what every other certificate of the cluster chains to. */
export async function createCa(req: CaRequest): Promise<CertificatePair> {
  const keys = await generateKeys();
  const notBefore = req.notBefore ?? backdated(new Date());
  const name = distinguishedName(req.commonName, []);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: name,
    issuer: name,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (req.validDays ?? 3650) * DAY_MS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

/** A leaf certificate signed by `ca` for a fresh key. */
export async function issueCertificate(
  ca: CertificatePair,
  req: CertificateRequest,
): Promise<CertificatePair> {
  return (await caSigner(ca))(req);
}

/**
 * Many leaves from one CA (a thousand hollow nodes' identities): the CA is parsed and its key
 * imported once; each leaf still gets its own key pair.
 */
export async function issueCertificates(
  ca: CertificatePair,
  reqs: readonly CertificateRequest[],
): Promise<CertificatePair[]> {
  const sign = await caSigner(ca);
  const out: CertificatePair[] = [];
  for (const req of reqs) out.push(await sign(req));
  return out;
}

async function caSigner(
  ca: CertificatePair,
): Promise<(req: CertificateRequest) => Promise<CertificatePair>> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importKey(ca.keyPem);
  return (req) => signLeaf(caCert, caKey, req);
}

async function signLeaf(
  caCert: x509.X509Certificate,
  caKey: CryptoKey,
  req: CertificateRequest,
): Promise<CertificatePair> {
  const keys = await generateKeys();
  const notBefore = req.notBefore ?? backdated(new Date());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: distinguishedName(req.commonName, req.organizations ?? []),
    issuer: caCert.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (req.validDays ?? 365) * DAY_MS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      ...(await leafExtensions(req, keys.publicKey)),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

/** A certificate that signs itself (what a stranger presents; tests use it). */
export async function selfSignedCertificate(req: CertificateRequest): Promise<CertificatePair> {
  const keys = await generateKeys();
  const notBefore = req.notBefore ?? backdated(new Date());
  const name = distinguishedName(req.commonName, req.organizations ?? []);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: name,
    issuer: name,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (req.validDays ?? 365) * DAY_MS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    extensions: await leafExtensions(req, keys.publicKey),
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

async function leafExtensions(
  req: CertificateRequest,
  publicKey: CryptoKey,
): Promise<x509.Extension[]> {
  const purposes: string[] = [];
  if (req.usage !== 'client') purposes.push(x509.ExtendedKeyUsage.serverAuth);
  if (req.usage !== 'server') purposes.push(x509.ExtendedKeyUsage.clientAuth);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(purposes, false),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
  ];
  const hosts = [...new Set(req.hosts ?? [])];
  if (hosts.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        hosts.map((h) => ({ type: isIP(h) ? ('ip' as const) : ('dns' as const), value: h })),
        false,
      ),
    );
  }
  return extensions;
}

/** CN first, then one O per group, each escaped as RFC 4514 asks. */
function distinguishedName(commonName: string, organizations: string[]): string {
  return [`CN=${escapeRdn(commonName)}`, ...organizations.map((o) => `O=${escapeRdn(o)}`)].join(
    ', ',
  );
}

function escapeRdn(value: string): string {
  return value.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`).replace(/^[ #]| $/g, (c) => `\\${c}`);
}

/** An hour early: a member whose clock runs a little behind still takes a fresh certificate. */
function backdated(now: Date): Date {
  return new Date(now.getTime() - 3_600_000);
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f; // positive
  bytes[0] |= 0x01; // and never a leading zero byte
  return bytes.toString('hex');
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
}
