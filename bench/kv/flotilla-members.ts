// Command lines for a three-member Flotilla cluster on loopback, from the built dist/.
import { join } from 'node:path';
import { MASTER_NODE_FLAGS } from '@flotilla/process';
import { freePorts } from './ports';
import { MemberSpec } from './member-process';
import { TIMING } from './timing';

export async function flotillaMembers(
  repoRoot: string,
  dataRoot: string,
  cpuProfDir: string | undefined,
): Promise<MemberSpec[]> {
  const names = ['m1', 'm2', 'm3'];
  const ports = await freePorts(names.length * 3);
  const peerPort = (i: number): number => ports[i * 3 + 2];
  const peers = names.map((n, i) => `${n}=127.0.0.1:${peerPort(i)}`).join(',');
  const main = join(repoRoot, 'dist/apps/control-plane/main.js');
  return names.map((name, i) => {
    const nodeFlags = cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfDir];
    return {
      name,
      clientEndpoint: `127.0.0.1:${ports[i * 3 + 1]}`,
      command: process.execPath,
      args: [
        ...MASTER_NODE_FLAGS,
        ...nodeFlags,
        main,
        ...['--name', name, '--data-dir', join(dataRoot, `flotilla-${name}`)],
        '--insecure',
        ...['--api-port', String(ports[i * 3]), '--etcd-port', String(ports[i * 3 + 1])],
        ...['--peer-port', String(peerPort(i)), '--peers', peers],
        ...['--cluster-token', `bench-${process.pid}`],
        ...['--heartbeat-interval', String(TIMING.heartbeatMs)],
        ...['--election-timeout', String(TIMING.electionMs)],
        ...['--log-level', 'warn'],
      ],
      logFile: join(dataRoot, `flotilla-${name}.log`),
      ipc: true,
    };
  });
}
