// x509 client-certificate authentication: the TLS layer verified the chain against the client
// CA (or found it wanting); the user is the subject's CN and the groups its O values.
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from './user-info';

export type ClientCertificate =
  { verified: true; user: UserInfo } | { verified: false; error: string };

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
  const subject = (cert.subject ?? {}) as unknown as Record<string, string | string[] | undefined>;
  const cn = first(subject.CN);
  if (!cn) return { verified: false, error: 'the certificate has no common name' };
  return { verified: true, user: { name: cn, groups: all(subject.O) } };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function all(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}
