// Each hollow node's own identity, as every kubelet has one: a client certificate from the
// cluster CA (CN=system:node:<name>, O=system:nodes, a key pair per node) and a client of its own
// over the same masters, so the Node authorizer and NodeRestriction judge its writes (its Node,
// its Lease, its pods' status) as a real kubelet's. Issued in memory, nothing written: a
// thousand nodes take about a second of ECDSA P-256 key generation.
import { connect, type ContextConnection, type KubeClient } from '@flotilla/client';
import { issueNodeCertificates } from '@flotilla/pki';

export async function hollowNodeClients(
  pkiDir: string,
  names: readonly string[],
  masters: readonly ContextConnection[],
): Promise<Map<string, KubeClient>> {
  const pairs = await issueNodeCertificates(pkiDir, names);
  const clients = new Map<string, KubeClient>();
  for (const [name, pair] of pairs) {
    const { client } = connect(
      masters.map((m) => ({
        server: m.server,
        tls: { ...m.tls, cert: pair.certPem, key: pair.keyPem },
      })),
      {
        component: 'kubelet',
        rateLimit: false,
        // A thousand clients each open a TLS connection and ping their master: on a busy
        // machine an 800 ms ping (the default) fails and takes the master for dead. A kubelet
        // is patient; so are these.
        connectTimeoutMs: 10_000,
        pingIdleMs: 5_000,
        pingTimeoutMs: 10_000,
      },
    );
    clients.set(name, client);
  }
  return clients;
}

/** Node names of a fleet: <prefix>-0 .. <prefix>-<count-1>. */
export function hollowNodeNames(o: { namePrefix: string; count: number }): string[] {
  return Array.from({ length: o.count }, (_, i) => `${o.namePrefix}-${i}`);
}
