// Three Flotilla masters, real processes: from the sources through tsx (what `npm test` runs, so
// the suite checks the code in the working tree) or from the built dist/ (what users run).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { MASTER_NODE_FLAGS } from '@flotilla/process';
import { NetworkFabric } from '../support/network-fabric';
import { ManagedProcess } from '../support/processes';
import { API_PORT, CLIENT_PORT, JepsenCluster, PEER_PORT, TIMING } from './cluster';

export const REPO_ROOT = join(__dirname, '../../..');

export type FlotillaBuild = 'sources' | 'dist';

export class FlotillaCluster extends JepsenCluster {
  private constructor(fabric: NetworkFabric, root: string) {
    super('flotilla', fabric, root);
  }

  static async create(
    fabric: NetworkFabric,
    root: string,
    build: FlotillaBuild,
  ): Promise<FlotillaCluster> {
    const cluster = new FlotillaCluster(fabric, root);
    // Members are not on loopback, so the default token is refused: every run has its own.
    const token = randomBytes(16).toString('hex');
    const peers = fabric.names
      .map((n) => `${n}=${fabric.member(n).address}:${PEER_PORT}`)
      .join(',');
    const entry =
      build === 'dist'
        ? [join(REPO_ROOT, 'dist/apps/control-plane/main.js')]
        : ['--import', 'tsx', join(REPO_ROOT, 'apps/control-plane/src/main.ts')];
    for (const name of fabric.names) {
      const { address } = fabric.member(name);
      // prettier-ignore
      const args = [
        '--name', name,
        // Plain, as before: the members sit on a network namespace fabric the run made.
        '--insecure', '--insecure-bind-any',
        '--data-dir', join(root, name),
        '--listen-host', address,
        '--api-port', String(API_PORT),
        '--etcd-port', String(CLIENT_PORT),
        '--peer-port', String(PEER_PORT),
        '--peers', peers,
        '--cluster-token', token,
        '--heartbeat-interval', String(TIMING.heartbeatMs),
        '--election-timeout', String(TIMING.electionMs),
        '--log-level', 'info',
      ];
      const command = fabric.inNamespace(name, [
        process.execPath,
        ...MASTER_NODE_FLAGS,
        ...entry,
        ...args,
      ]);
      cluster.processes.set(
        name,
        new ManagedProcess(name, {
          command,
          cwd: REPO_ROOT,
          logFile: join(root, `${name}.log`),
          ipc: true,
        }),
      );
    }
    return cluster;
  }

  apiBase(name: string): string {
    return `http://${this.fabric.member(name).address}:${API_PORT}`;
  }

  /** /readyz passes (a linearizable read barrier included) and the API has its namespaces. */
  protected async memberReady(name: string): Promise<void> {
    const ready = await fetch(`${this.apiBase(name)}/readyz`, {
      signal: AbortSignal.timeout(3000),
    });
    await ready.arrayBuffer();
    if (ready.status !== 200) throw new Error(`${name}: /readyz answered ${ready.status}`);
    const ns = await fetch(`${this.apiBase(name)}/api/v1/namespaces/default`, {
      signal: AbortSignal.timeout(3000),
    });
    await ns.arrayBuffer();
    if (ns.status !== 200) throw new Error(`${name}: namespace default answered ${ns.status}`);
  }
}
