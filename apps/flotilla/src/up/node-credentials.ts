// What one node's agent runs with in the secure mode, all from the cluster CA: its kubelet's
// client identity (system:node:<name> in system:nodes, so the Node authorizer and NodeRestriction
// apply), kube-proxy's (system:kube-proxy, shared by every node as kubeadm's), and its kubelet
// server's serving pair naming the node and its addresses (what --kubelet-certificate-authority
// verifies). `flotilla up` makes them for its workers, `flotilla certs node` for other nodes.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  issueKubeletServingCertificate,
  issueNodeCertificate,
  issueUserCertificate,
  pkiPaths,
  writePair,
} from '@flotilla/pki';
import { kubeconfigWithCertificate } from './kubeconfig';

export interface NodeCredentials {
  /** The kubelet's kubeconfig (DATA/nodes/<name>.kubeconfig). */
  kubeconfig: string;
  /** kube-proxy's (DATA/nodes/kube-proxy.kubeconfig), for --proxy-kubeconfig. */
  proxyKubeconfig: string;
  /** The kubelet server's pair (--tls-cert-file, --tls-private-key-file), with addresses. */
  serving?: { cert: string; key: string };
  /** The CA the kubelet server takes the API server's client certificate from. */
  clientCa: string;
}

export interface NodeCredentialsRequest {
  dataDir: string;
  node: string;
  /** The node's addresses (its InternalIP): with them, a serving pair too. */
  addresses?: readonly string[];
  /** The admin kubeconfig whose masters the node's kubeconfigs name; DATA/kubeconfig. */
  adminKubeconfig?: string;
}

export async function writeNodeCredentials(req: NodeCredentialsRequest): Promise<NodeCredentials> {
  const pki = join(req.dataDir, 'pki');
  const paths = pkiPaths(pki);
  const admin = req.adminKubeconfig ?? join(req.dataDir, 'kubeconfig');
  if (!existsSync(admin)) throw new Error(`${admin} does not exist; run flotilla up first`);
  const masters = readFileSync(admin, 'utf8');
  const nodes = join(req.dataDir, 'nodes');
  mkdirSync(nodes, { recursive: true, mode: 0o700 });

  const client = await issueNodeCertificate(pki, req.node);
  const kubeconfig = join(nodes, `${req.node}.kubeconfig`);
  writeKubeconfig(kubeconfig, masters, client);

  // kube-proxy may read Services and EndpointSlices, which the node's identity may not.
  const proxy = { cert: paths.clientCert('kube-proxy'), key: paths.clientKey('kube-proxy') };
  if (!existsSync(proxy.cert)) {
    writePair(proxy.cert, proxy.key, await issueUserCertificate(pki, 'system:kube-proxy', []));
  }
  const proxyKubeconfig = join(nodes, 'kube-proxy.kubeconfig');
  writeKubeconfig(proxyKubeconfig, masters, proxy);

  const addresses = req.addresses ?? [];
  const serving =
    addresses.length > 0
      ? await issueKubeletServingCertificate(pki, req.node, addresses)
      : undefined;
  return { kubeconfig, proxyKubeconfig, clientCa: paths.caCert, ...(serving ? { serving } : {}) };
}

function writeKubeconfig(file: string, masters: string, pair: { cert: string; key: string }) {
  const b64 = (f: string) => readFileSync(f).toString('base64');
  writeFileSync(
    file,
    kubeconfigWithCertificate(masters, {
      clientCertData: b64(pair.cert),
      clientKeyData: b64(pair.key),
    }),
    { mode: 0o600 },
  );
}
