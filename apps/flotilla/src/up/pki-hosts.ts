// Serving certificates must name the address clients dial: `flotilla up` with real workers moves
// the masters to the workers' fabric address, so a PKI directory from a loopback-only run gets
// its masters' serving and peer certificates again (same CA: every client keeps trusting it).
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { pkiPaths } from '@flotilla/pki';

/** Whether a certificate names host (an IP address or a DNS name) among its SANs. */
export function certificateNames(cert: X509Certificate, host: string): boolean {
  return isIP(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined;
}

/** Removes the serving and peer pairs of masters whose serving certificate does not name host. */
export function dropServerCertsNotNaming(dir: string, host: string, masters: string[]): string[] {
  if (host === '0.0.0.0' || host === '::') return [];
  const p = pkiPaths(dir);
  const dropped: string[] = [];
  for (const m of masters) {
    if (!existsSync(p.serverCert(m))) continue;
    const cert = new X509Certificate(readFileSync(p.serverCert(m)));
    if (certificateNames(cert, host)) continue;
    for (const f of [p.serverCert(m), p.serverKey(m), p.peerCert(m), p.peerKey(m)]) {
      rmSync(f, { force: true });
    }
    dropped.push(m);
  }
  return dropped;
}
