import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '@flotilla/process';
import {
  issueNodeCertificate,
  issueUserCertificate,
  pkiPaths,
  rotateClusterPki,
  writePair,
} from '@flotilla/pki';
import { kubeconfigWithCertificate } from '../up/kubeconfig';
import type { CliContext } from './cli-context';
import { CERTS_INIT_DEFAULTS, certsInit } from './certs-init';

const USAGE = `Usage: flotilla certs init [--data-dir DIR] [--members N] [--host HOST]... [--api-host HOST]
                         [--base-api-port PORT] [--service-cidr CIDR] [--node NAME]...
       flotilla certs rotate [--data-dir DIR]
       flotilla certs user NAME [--group GROUP]... [--data-dir DIR]
       flotilla certs node NAME... [--data-dir DIR]

The cluster's certificates, under DIR/pki (DIR defaults to ./data, as for flotilla up).
  init     what a cluster of masters m1..mN (N defaults to 3) started by something else needs
           (docker-compose.ha.yml: deploy/compose.sh runs this): the CA, each master's serving
           and peer pair (naming mI, localhost, 127.0.0.1, the kubernetes Service IP and each
           --host), the admin, component and Prometheus identities, and DIR/kubeconfig, the
           admin's, with one context per master at https://API-HOST:PORT+i (127.0.0.1:6443..).
           With --node: each node's identity (system:node:NAME) and DIR/nodes/NAME.kubeconfig,
           and DIR/nodes/kube-proxy.kubeconfig, reaching mI at https://mI:PORT (by name, on the
           masters' network). Existing certificates are kept: running it again fills in what is
           missing
  rotate   issue every certificate again from the same CA (new keys); running members reload
           theirs within seconds, and clients that trust the CA keep working
  user     a client certificate for user NAME in the given groups (CN=NAME, O=GROUP), written
           to DIR/pki/users/NAME.crt and .key; grant it rights with RBAC, e.g.
           kubectl create rolebinding NAME-view --clusterrole=view --user=NAME -n default
  node     a kubelet's identity for each node NAME (CN=system:node:NAME, O=system:nodes), in
           DIR/pki/node-NAME.crt and .key, and DIR/nodes/NAME.kubeconfig: the admin kubeconfig's
           masters with that certificate. The Node authorizer lets it read only what the pods
           bound to NAME use and write only NAME's Node, Lease and pod status; and
           DIR/nodes/kube-proxy.kubeconfig (system:kube-proxy) for the agents' --proxy-kubeconfig
`;

export async function certsCommand(argv: readonly string[], _context: CliContext): Promise<void> {
  let dataDir = 'data';
  const groups: string[] = [];
  const init = { ...CERTS_INIT_DEFAULTS, hosts: [] as string[], nodes: [] as string[] };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) throw new ConfigError(`${a.split('=')[0]}: missing value`);
      return v;
    };
    if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      return;
    } else if (a === '--data-dir' || a.startsWith('--data-dir=')) dataDir = value();
    else if (a === '--group' || a.startsWith('--group=')) groups.push(value());
    else if (a === '--host' || a.startsWith('--host=')) init.hosts.push(value());
    else if (a === '--node' || a.startsWith('--node=')) init.nodes.push(value());
    else if (a === '--api-host' || a.startsWith('--api-host=')) init.apiHost = value();
    else if (a === '--service-cidr' || a.startsWith('--service-cidr=')) init.serviceCidr = value();
    else if (a === '--members' || a.startsWith('--members=')) init.members = integer(a, value());
    else if (a === '--base-api-port' || a.startsWith('--base-api-port='))
      init.baseApiPort = integer(a, value());
    else if (a.startsWith('-'))
      throw new ConfigError(`unknown option ${a} (see flotilla certs --help)`);
    else positional.push(a);
  }
  const dir = join(resolve(dataDir), 'pki');
  const [verb, name, ...extra] = positional;
  if (verb === 'node') return nodeCertificates(resolve(dataDir), positional.slice(1));
  if (verb === 'init') {
    if (name !== undefined) throw new ConfigError(`unexpected ${positional.slice(1).join(' ')}`);
    const written = await certsInit({ ...init, dataDir: resolve(dataDir) });
    process.stdout.write(
      `flotilla: certificates in ${written.pkiDir}\n` +
        `  kubectl --kubeconfig ${written.kubeconfig} get ns\n`,
    );
    return;
  }
  if (extra.length > 0) throw new ConfigError(`unexpected ${extra.join(' ')}`);
  try {
    if (verb === 'rotate') {
      const written = await rotateClusterPki(dir);
      process.stdout.write(`flotilla: issued ${written.length} certificates again in ${dir}\n`);
      return;
    }
    if (verb === 'user') {
      if (!name) throw new ConfigError('certs user: missing NAME');
      const pair = await issueUserCertificate(dir, name, groups);
      const users = join(dir, 'users');
      mkdirSync(users, { recursive: true, mode: 0o700 });
      const cert = join(users, `${name}.crt`);
      const key = join(users, `${name}.key`);
      writePair(cert, key, pair);
      process.stdout.write(
        `flotilla: wrote ${cert} and ${key}\n` +
          `  kubectl config set-credentials ${name} --client-certificate=${cert} --client-key=${key} --embed-certs\n` +
          `  kubectl config set-context ${name} --cluster=flotilla-m1 --user=${name}\n` +
          `  (the CA: ${pkiPaths(dir).caCert})\n`,
      );
      return;
    }
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError((e as Error).message);
  }
  throw new ConfigError(
    verb
      ? `unknown certs command ${JSON.stringify(verb)}`
      : 'missing certs command (init | rotate | user | node)',
  );
}

function integer(flag: string, text: string): number {
  if (!/^[0-9]+$/.test(text)) {
    throw new ConfigError(
      `${flag.split('=')[0]}: must be a whole number, not ${JSON.stringify(text)}`,
    );
  }
  return Number(text);
}

/** `certs node NAME...`: each node's certificate and kubeconfig. */
async function nodeCertificates(dataDir: string, names: string[]): Promise<void> {
  if (names.length === 0) throw new ConfigError('certs node: missing NAME');
  for (const name of names) {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) {
      throw new ConfigError(`certs node: ${JSON.stringify(name)} is not a valid node name`);
    }
  }
  const dir = join(dataDir, 'pki');
  const adminKubeconfig = join(dataDir, 'kubeconfig');
  if (!existsSync(adminKubeconfig)) {
    throw new ConfigError(`${adminKubeconfig} does not exist; run flotilla up first`);
  }
  const nodes = join(dataDir, 'nodes');
  mkdirSync(nodes, { recursive: true, mode: 0o700 });
  for (const name of names) {
    let written: { cert: string; key: string };
    try {
      written = await issueNodeCertificate(dir, name);
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
    const b64 = (file: string) => readFileSync(file).toString('base64');
    const kubeconfig = join(nodes, `${name}.kubeconfig`);
    writeFileSync(
      kubeconfig,
      kubeconfigWithCertificate(readFileSync(adminKubeconfig, 'utf8'), {
        clientCertData: b64(written.cert),
        clientKeyData: b64(written.key),
      }),
      { mode: 0o600 },
    );
    process.stdout.write(`flotilla: node ${name}: ${written.cert}, ${kubeconfig}\n`);
  }
  // kube-proxy runs as system:kube-proxy (the node's identity may not read Services and
  // EndpointSlices): one kubeconfig every node's agent takes with --proxy-kubeconfig.
  const paths = pkiPaths(dir);
  const proxyCert = paths.clientCert('kube-proxy');
  const proxyKey = paths.clientKey('kube-proxy');
  if (!existsSync(proxyCert)) {
    writePair(proxyCert, proxyKey, await issueUserCertificate(dir, 'system:kube-proxy', []));
  }
  const proxyKubeconfig = join(nodes, 'kube-proxy.kubeconfig');
  writeFileSync(
    proxyKubeconfig,
    kubeconfigWithCertificate(readFileSync(adminKubeconfig, 'utf8'), {
      clientCertData: readFileSync(proxyCert).toString('base64'),
      clientKeyData: readFileSync(proxyKey).toString('base64'),
    }),
    { mode: 0o600 },
  );
  process.stdout.write(`flotilla: kube-proxy: ${proxyKubeconfig} (--proxy-kubeconfig)\n`);
}
