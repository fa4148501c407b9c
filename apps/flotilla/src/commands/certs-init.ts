// `flotilla certs init`: the PKI and admin kubeconfig of a cluster whose masters someone else
// starts (docker-compose.ha.yml through deploy/compose.sh, or masters on other hosts), laid out
// as `flotilla up` lays out its own, so `certs user|node|rotate --data-dir DIR` work on it too.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SERVICE_CIDR, firstServiceIp, parseServiceCidr } from '@flotilla/api';
import { ClusterPkiPlan, ensureClusterPki } from '@flotilla/pki';
import { ConfigError } from '@flotilla/process';
import { adminKubeconfigTls } from '../up/admin-credentials';
import { renderKubeconfig } from '../up/kubeconfig';
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
}

export const CERTS_INIT_DEFAULTS: Omit<CertsInitOptions, 'dataDir'> = {
  members: 3,
  hosts: [],
  apiHost: '127.0.0.1',
  baseApiPort: 6443,
  serviceCidr: DEFAULT_SERVICE_CIDR,
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
  const pkiDir = join(options.dataDir, 'pki');
  const names = Array.from({ length: options.members }, (_, i) => `m${i + 1}`);
  // A host added since the last run: those masters' serving and peer pairs again, same CA.
  for (const host of options.hosts) dropServerCertsNotNaming(pkiDir, host, names);
  await ensureClusterPki(pkiDir, initPlan(options));
  const members = names.map((name, i) => ({ name, apiPort: options.baseApiPort + i }));
  const kubeconfig = join(options.dataDir, 'kubeconfig');
  mkdirSync(options.dataDir, { recursive: true });
  const tmp = `${kubeconfig}.${process.pid}.tmp`;
  writeFileSync(tmp, renderKubeconfig(members, options.apiHost, adminKubeconfigTls(pkiDir)), {
    mode: 0o600,
  });
  renameSync(tmp, kubeconfig);
  return { pkiDir, kubeconfig };
}
