// `flotilla certs init`: the PKI and admin kubeconfig of a cluster whose masters someone else
// starts (docker-compose.ha.yml through deploy/compose.sh, or masters on other hosts), laid out
// as `flotilla up` lays out its own, so `certs user|node|rotate --data-dir DIR` work on it too.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SERVICE_CIDR, firstServiceIp, parseServiceCidr } from '@flotilla/api';
import { ClusterPkiPlan, ensureClusterPki, pkiPaths } from '@flotilla/pki';
import { ConfigError } from '@flotilla/process';
import { adminKubeconfigTls } from '../up/admin-credentials';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { KubeconfigTls, kubeconfigWithCertificate, renderKubeconfig } from '../up/kubeconfig';
import { dropServerCertsNotNaming } from '../up/pki-hosts';

export interface CertsInitOptions {
  /** DIR: certificates go to DIR/pki, the admin kubeconfig to DIR/kubeconfig. */
  dataDir: string;
  /** Masters m1..mN. */
  members: number;
  /** Extra names and addresses on every master's serving and peer certificate. */
  hosts: string[];
  /** Where the admin reaches the masters: https://API-HOST:BASE-API-PORT+i. */
  apiHost: string;
  baseApiPort: number;
  serviceCidr: string;
  /**
   * Worker nodes: a kubelet identity each (system:node:NAME) and DIR/nodes/NAME.kubeconfig, plus
   * DIR/nodes/kube-proxy.kubeconfig, reaching master mI at https://mI:BASE-API-PORT: by name on
   * the masters' own network, where every master listens on the same port (compose).
   */
  nodes: string[];
}

export const CERTS_INIT_DEFAULTS: Omit<CertsInitOptions, 'dataDir'> = {
  members: 3,
  hosts: [],
  apiHost: '127.0.0.1',
  baseApiPort: 6443,
  serviceCidr: DEFAULT_SERVICE_CIDR,
  nodes: [],
};

/** The masters' certificates: each names itself (m1..), loopback, the Service IP and `hosts`. */
export function initPlan(options: CertsInitOptions): ClusterPkiPlan {
  let serviceIp: string;
  try {
    serviceIp = firstServiceIp(parseServiceCidr(options.serviceCidr));
  } catch (e) {
    throw new ConfigError(`--service-cidr: ${(e as Error).message}`);
  }
  return {
    masters: Array.from({ length: options.members }, (_, i) => ({
      name: `m${i + 1}`,
      hosts: options.hosts,
    })),
    serviceIp,
    nodes: options.nodes,
  };
}

/**
 * Makes what DIR/pki lacks (never replacing the CA or a client certificate: kubeconfigs and
 * running masters already trust them) and writes DIR/kubeconfig again from it. Returns both paths.
 */
export async function certsInit(
  options: CertsInitOptions,
): Promise<{ pkiDir: string; kubeconfig: string }> {
  if (!Number.isInteger(options.members) || options.members < 1 || options.members > 9) {
    throw new ConfigError(`--members: must be 1 to 9, not ${options.members}`);
  }
  if (options.baseApiPort < 1 || options.baseApiPort + options.members - 1 > 65535) {
    throw new ConfigError(`--base-api-port: ${options.baseApiPort} is not a usable port`);
  }
  for (const node of options.nodes) {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(node)) {
      throw new ConfigError(`--node: ${JSON.stringify(node)} is not a valid node name`);
    }
  }
  const pkiDir = join(options.dataDir, 'pki');
  const names = Array.from({ length: options.members }, (_, i) => `m${i + 1}`);
  // A host added since the last run: those masters' serving and peer pairs again, same CA.
  for (const host of options.hosts) dropServerCertsNotNaming(pkiDir, host, names);
  await ensureClusterPki(pkiDir, initPlan(options));
  const members = names.map((name, i) => ({ name, apiPort: options.baseApiPort + i }));
  const kubeconfig = join(options.dataDir, 'kubeconfig');
  mkdirSync(options.dataDir, { recursive: true });
  const admin = adminKubeconfigTls(pkiDir);
  writeKubeconfig(kubeconfig, renderKubeconfig(members, options.apiHost, admin));
  if (options.nodes.length > 0) {
    const nodesDir = join(options.dataDir, 'nodes');
    mkdirSync(nodesDir, { recursive: true, mode: 0o700 });
    const inNetwork = inNetworkKubeconfig(names, options.baseApiPort, admin);
    const p = pkiPaths(pkiDir);
    const identities = [
      ...options.nodes.map((n) => ({ file: n, cert: p.nodeCert(n), key: p.nodeKey(n) })),
      { file: 'kube-proxy', cert: p.clientCert('kube-proxy'), key: p.clientKey('kube-proxy') },
    ];
    for (const id of identities) {
      const b64 = (file: string) => readFileSync(file).toString('base64');
      writeKubeconfig(
        join(nodesDir, `${id.file}.kubeconfig`),
        kubeconfigWithCertificate(inNetwork, {
          clientCertData: b64(id.cert),
          clientKeyData: b64(id.key),
        }),
      );
    }
  }
  return { pkiDir, kubeconfig };
}

/** The admin kubeconfig's shape, with master mI at https://mI:port (one context each). */
function inNetworkKubeconfig(names: string[], port: number, tls: KubeconfigTls): string {
  const doc = parseYaml(
    renderKubeconfig(
      names.map((name) => ({ name, apiPort: port })),
      '127.0.0.1',
      tls,
    ),
  ) as { clusters: { name: string; cluster: { server: string } }[] };
  for (const c of doc.clusters) {
    c.cluster.server = `https://${c.name.replace(/^flotilla-/, '')}:${port}`;
  }
  return stringifyYaml(doc);
}

/** Beside, then renamed: a reader never sees half a file. */
function writeKubeconfig(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}
