// Three etcd 3.4 members (Debian's etcd-server) in the same namespaces, with the same Raft
// timing: the reference the availability figures are compared with.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ETCD_BINARY } from '../../../bench/kv/etcd-members';
import { NetworkFabric } from '../support/network-fabric';
import { ManagedProcess } from '../support/processes';
import { CLIENT_PORT, JepsenCluster, PEER_PORT, TIMING } from './cluster';

export class EtcdCluster extends JepsenCluster {
  private constructor(fabric: NetworkFabric, root: string) {
    super('etcd', fabric, root);
  }

  static create(fabric: NetworkFabric, root: string): EtcdCluster {
    const cluster = new EtcdCluster(fabric, root);
    const peerUrl = (n: string) => `http://${fabric.member(n).address}:${PEER_PORT}`;
    const initialCluster = fabric.names.map((n) => `${n}=${peerUrl(n)}`).join(',');
    const token = `jepsen-${randomBytes(6).toString('hex')}`;
    for (const name of fabric.names) {
      const clientUrl = `http://${fabric.member(name).address}:${CLIENT_PORT}`;
      // prettier-ignore
      const args = [
        '--name', name,
        '--data-dir', join(root, name),
        '--listen-client-urls', clientUrl,
        '--advertise-client-urls', clientUrl,
        '--listen-peer-urls', peerUrl(name),
        '--initial-advertise-peer-urls', peerUrl(name),
        '--initial-cluster', initialCluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', token,
        '--heartbeat-interval', String(TIMING.heartbeatMs),
        '--election-timeout', String(TIMING.electionMs),
        '--log-level', 'warn',
        '--logger', 'zap',
      ];
      cluster.processes.set(
        name,
        new ManagedProcess(name, {
          command: fabric.inNamespace(name, [ETCD_BINARY, ...args]),
          logFile: join(root, `${name}.log`),
          ipc: false,
        }),
      );
    }
    return cluster;
  }

  apiBase(): undefined {
    return undefined;
  }

  protected async memberReady(): Promise<void> {
    // The etcd API is all etcd serves; checkReady has seen it answer.
  }
}
