// Who a client certificate names, read the one way every server of the cluster reads it (the API
// server's x509 authenticator and the kubelet server): the TLS layer verified the chain against
// the client CA (or found it wanting); the user is the subject's CN, the groups its O values, and
// a certificate without a CN names nobody. Kept free of the X.509 builder (its own entry point,
// @flotilla/pki/client-identity) so servers that only read certificates do not load it.
import type { TLSSocket } from 'node:tls';

/** The identity a verified certificate carries: CN is the user, O the groups. */
export interface CertificateUser {
  name: string;
  groups: string[];
}

export type ClientCertificate =
  { verified: true; user: CertificateUser } | { verified: false; error: string };

/** A certificate's subject as Node gives it: each attribute once, or an array when repeated. */
export type CertificateSubject = Record<string, string | string[] | undefined>;

/**
 * The user a subject names: CN → name, every O → groups; an error when there is no CN (an empty
 * user name would match RBAC subjects it must not).
 */
export function userOfSubject(
  subject: CertificateSubject,
): { user: CertificateUser } | { error: string } {
  const cn = first(subject.CN);
  if (!cn) return { error: 'the certificate has no common name' };
  return { user: { name: cn, groups: all(subject.O) } };
}

/** What one handshake of a connection established: the Finished message names the handshake. */
interface Remembered {
  finished: Buffer;
  certificate: ClientCertificate | undefined;
}

/**
 * Per connection, what its handshake gave. getPeerCertificate() builds the whole certificate
 * (fingerprints, public key, raw DER) on every call: ~0.1 ms, a tenth of a request's CPU on a
 * keep-alive connection. The peer's certificate is fixed by the handshake, so it is read once
 * per handshake; a renegotiation (TLS 1.2) ends with another Finished message and is read anew.
 */
const byConnection = new WeakMap<object, Remembered>();

/** What the connection's client presented, if it presented a certificate at all. */
export function clientCertificateOf(socket: unknown): ClientCertificate | undefined {
  const tls = socket as Partial<TLSSocket> | undefined;
  if (!tls || typeof tls.getPeerCertificate !== 'function') return undefined;
  const finished = typeof tls.getFinished === 'function' ? tls.getFinished() : undefined;
  if (!finished) return readClientCertificate(tls);
  const remembered = byConnection.get(tls);
  if (remembered && remembered.finished.equals(finished)) return remembered.certificate;
  const certificate = readClientCertificate(tls);
  byConnection.set(tls, { finished, certificate });
  return certificate;
}

function readClientCertificate(tls: Partial<TLSSocket>): ClientCertificate | undefined {
  const cert = tls.getPeerCertificate!();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  if (!tls.authorized) {
    return { verified: false, error: String(tls.authorizationError ?? 'not verified') };
  }
  const named = userOfSubject((cert.subject ?? {}) as unknown as CertificateSubject);
  if ('error' in named) return { verified: false, error: named.error };
  return { verified: true, user: named.user };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function all(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}
