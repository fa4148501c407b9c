import { AUDIT_POLICY_FILE } from './default-audit-policy';
import { join } from 'node:path';
import { ConfigError, MASTER_NODE_FLAGS, formatHostPort, isLoopbackHost } from '@flotilla/process';
import type { ProcessSpec } from '../supervisor/spawner';
import type { UpOptions } from './up-options';

export interface MemberPlan {
  name: string;
  apiPort: number;
  etcdPort: number;
  peerPort: number;
  dataDir: string;
  process: ProcessSpec;
}

/**
 * Member i (from 1): API port base+i-1, etcd and Raft ports base+100*(i-1): the defaults give
 * 6443/2379/2380, 6444/2479/2480, 6445/2579/2580.
 */
export function planMembers(
  options: UpOptions,
  nodePath: string,
  /** The cluster PKI directory every member reads its certificates from; --insecure without. */
  pkiDir?: string,
): MemberPlan[] {
  const layout = Array.from({ length: options.members }, (_, i) => ({
    name: `m${i + 1}`,
    apiPort: options.baseApiPort + i,
    etcdPort: options.baseEtcdPort + 100 * i,
    peerPort: options.basePeerPort + 100 * i,
  }));
  checkPorts(layout);
  const peers = layout
    .map((m) => `${m.name}=${formatHostPort(options.listenHost, m.peerPort)}`)
    .join(',');
  return layout.map((m) => {
    const dataDir = join(options.dataDir, m.name);
    // prettier-ignore
    const args = [
      '--name', m.name,
      '--data-dir', dataDir,
      '--listen-host', options.listenHost,
      '--api-port', String(m.apiPort),
      '--etcd-port', String(m.etcdPort),
      '--peer-port', String(m.peerPort),
      '--peers', peers,
      '--cluster-token', options.clusterToken,
    ];
    if (options.serviceCidr) args.push('--service-cidr', options.serviceCidr);
    if (options.serviceNodePortRange)
      args.push('--service-node-port-range', options.serviceNodePortRange);
    // Secure members keep an audit log in their data directory (DATA/mN/audit.log), and verify
    // kubelets' serving certificates: flotilla up's workers get theirs from the same CA.
    if (pkiDir)
      args.push(
        '--pki-dir',
        pkiDir,
        '--audit-policy-file',
        join(options.dataDir, AUDIT_POLICY_FILE),
        '--kubelet-certificate-authority',
        join(pkiDir, 'ca.crt'),
      );
    else args.push('--insecure');
    // Plain HTTP off loopback: on the workers' fabric, which only this machine reaches.
    if (!pkiDir && !isLoopbackHost(options.listenHost)) args.push('--insecure-bind-any');
    return { ...m, dataDir, process: entryCommand(nodePath, options.controlPlaneEntry, args) };
  });
}

/**
 * A .js entry runs on Node directly; a .ts entry (development, tests) through tsx. Either way
 * with the flags a master's heap is set up with.
 */
export function entryCommand(nodePath: string, entry: string, args: string[]): ProcessSpec {
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  return { command: nodePath, args: [...MASTER_NODE_FLAGS, ...loader, entry, ...args] };
}

type PortRole = { name: string; apiPort: number; etcdPort: number; peerPort: number };

function checkPorts(layout: PortRole[]): void {
  const seen = new Map<number, string>();
  const roles = [
    ['api', 'base-api-port'],
    ['etcd', 'base-etcd-port'],
    ['peer', 'base-peer-port'],
  ] as const;
  for (const m of layout) {
    for (const [role, flag] of roles) {
      const port = m[`${role}Port`];
      const who = `${m.name} ${role}`;
      if (port > 65535)
        throw new ConfigError(`--${flag}: ${who} port would be ${port}, above 65535`);
      const other = seen.get(port);
      if (other) throw new ConfigError(`--${flag}: port ${port} is both ${other} and ${who}`);
      seen.set(port, who);
    }
  }
}

/** Every port each member will listen on, for a free-port check before anything starts. */
export function plannedPorts(plans: MemberPlan[]): { port: number; who: string }[] {
  return plans.flatMap((p) => [
    { port: p.apiPort, who: `${p.name} api` },
    { port: p.etcdPort, who: `${p.name} etcd` },
    { port: p.peerPort, who: `${p.name} peer` },
  ]);
}
