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
  /** Where its Raft port listens and its dials to the other members leave from. */
  peerHost: string;
  dataDir: string;
  process: ProcessSpec;
}

/**
 * Member i (from 0) talks Raft on a loopback address of its own, 127.0.10.(i+1): Linux answers
 * on all of 127/8 without configuration, and distinct addresses let one nftables rule cut a
 * member off from the others while it keeps serving its clients (flotilla chaos partition).
 */
export function ownPeerHost(index: number): string {
  return `127.0.10.${index + 1}`;
}

/** The address clients reach a member at when it listens on listenHost. */
export function connectHost(listenHost: string): string {
  return listenHost === '0.0.0.0' ? '127.0.0.1' : listenHost === '::' ? '::1' : listenHost;
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
    peerHost: options.ownPeerAddresses ? ownPeerHost(i) : options.listenHost,
  }));
  checkPorts(layout);
  const peers = layout.map((m) => `${m.name}=${formatHostPort(m.peerHost, m.peerPort)}`).join(',');
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
      ...(options.ownPeerAddresses
        ? ['--peer-host', m.peerHost, '--advertise-host', connectHost(options.listenHost)]
        : []),
      '--cluster-token', options.clusterToken,
    ];
    if (options.serviceCidr) args.push('--service-cidr', options.serviceCidr);
    if (options.serviceNodePortRange)
      args.push('--service-node-port-range', options.serviceNodePortRange);
    // Secure members keep an audit log in their data directory (DATA/mN/audit.log).
    if (pkiDir)
      args.push(
        '--pki-dir',
        pkiDir,
        '--audit-policy-file',
        join(options.dataDir, AUDIT_POLICY_FILE),
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
