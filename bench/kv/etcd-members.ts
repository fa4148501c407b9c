// Command lines for a three-member etcd 3.4 cluster on loopback, same timing as Flotilla.
import { join } from 'node:path';
import { freePorts } from './ports';
import { MemberSpec } from './member-process';
import { TIMING } from './timing';

export const ETCD_BINARY = '/usr/bin/etcd';

export async function etcdMembers(dataRoot: string): Promise<MemberSpec[]> {
  const names = ['e1', 'e2', 'e3'];
  const ports = await freePorts(names.length * 2);
  const clientUrl = (i: number): string => `http://127.0.0.1:${ports[i * 2]}`;
  const peerUrl = (i: number): string => `http://127.0.0.1:${ports[i * 2 + 1]}`;
  const initialCluster = names.map((n, i) => `${n}=${peerUrl(i)}`).join(',');
  return names.map((name, i) => ({
    name,
    clientEndpoint: `127.0.0.1:${ports[i * 2]}`,
    command: ETCD_BINARY,
    args: [
      ...['--name', name, '--data-dir', join(dataRoot, `etcd-${name}`)],
      ...['--listen-client-urls', clientUrl(i), '--advertise-client-urls', clientUrl(i)],
      ...['--listen-peer-urls', peerUrl(i), '--initial-advertise-peer-urls', peerUrl(i)],
      ...['--initial-cluster', initialCluster, '--initial-cluster-state', 'new'],
      ...['--initial-cluster-token', `bench-${process.pid}`],
      ...['--heartbeat-interval', String(TIMING.heartbeatMs)],
      ...['--election-timeout', String(TIMING.electionMs)],
      // 8 GiB: the benchmark must never hit the NOSPACE alarm.
      ...['--quota-backend-bytes', String(8 * 1024 ** 3)],
      ...['--log-level', 'warn', '--logger', 'zap'],
    ],
    logFile: join(dataRoot, `etcd-${name}.log`),
    ipc: false,
  }));
}
