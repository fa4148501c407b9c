import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import {
  ConfigError,
  isLoopbackHost,
  OptionSpec,
  formatUsage,
  hostValue,
  integerValue,
  optionalValue,
  portValue,
  parsedValue,
  readSettings,
  settingError,
} from '@flotilla/process';
import { WORKER_FABRIC_HOST, WORKERS_NEED_ROOT } from './worker-plan';
import {
  DEFAULT_NODE_PORT_RANGE,
  DEFAULT_SERVICE_CIDR,
  formatNodePortRange,
  parseNodePortRange,
  parseServiceCidr,
} from '@flotilla/api';

export interface UpOptions {
  members: number;
  dataDir: string;
  listenHost: string;
  baseApiPort: number;
  baseEtcdPort: number;
  basePeerPort: number;
  clusterToken: string;
  stopTimeoutMs: number;
  controlPlaneEntry: string;
  /**
   * Plain HTTP, no authentication, every request allowed (the members' --insecure). Otherwise
   * TLS on every port with a cluster PKI made under DATA/pki, and RBAC.
   */
  insecure: boolean;
  /** A master that dies on its own starts again after a short back-off (--no-restart: it stays down). */
  restartMembers: boolean;
  /** Real workers w1..wN (root only): network namespaces with containerd and a node agent. */
  workers: number;
  /** Hollow nodes hollow-0.. (no containers; what stands in for workers without root). */
  hollowNodes: number;
  /**
   * Each member talks Raft on its own loopback address (127.0.10.N) instead of --listen-host, so
   * `flotilla chaos partition` can cut one off with a firewall rule (Linux: all of 127/8 answers).
   */
  ownPeerAddresses: boolean;
  /** Said once at start: why the plan differs from what was asked (no root for workers). */
  notes: string[];
  /** Passed to every member when given (validated here so a typo fails once, not N times). */
  serviceCidr?: string;
  serviceNodePortRange?: string;
}

export const UP_OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'members',
    valueName: 'N',
    description: 'how many masters, named m1..mN (1-7)',
    defaultText: '3',
  },
  {
    flag: 'data-dir',
    valueName: 'DIR',
    description: "parent of each member's directory DIR/m1..",
    defaultText: 'data',
  },
  {
    flag: 'base-api-port',
    valueName: 'PORT',
    description: "m1's API port; member i gets PORT+i-1",
    defaultText: '6443',
  },
  {
    flag: 'base-etcd-port',
    valueName: 'PORT',
    description: "m1's etcd port; member i gets PORT+100*(i-1)",
    defaultText: '2379',
  },
  {
    flag: 'base-peer-port',
    valueName: 'PORT',
    description: "m1's Raft port; member i gets PORT+100*(i-1)",
    defaultText: '2380',
  },
  {
    flag: 'listen-host',
    valueName: 'HOST',
    description: 'where every member listens',
    defaultText: '127.0.0.1',
  },
  {
    flag: 'cluster-token',
    valueName: 'TOKEN',
    description: 'passed to every member',
    defaultText: 'flotilla on loopback, else a random one',
  },
  {
    flag: 'stop-timeout',
    valueName: 'SECONDS',
    description: 'grace between SIGTERM and SIGKILL',
    defaultText: '10',
  },
  {
    flag: 'control-plane-entry',
    valueName: 'FILE',
    description: 'the master program (a .ts file runs through tsx)',
    defaultText: 'the built control-plane next to this CLI',
  },
  {
    flag: 'service-cidr',
    valueName: 'CIDR',
    description: "passed to every member: the Services' ClusterIP range",
    defaultText: DEFAULT_SERVICE_CIDR,
  },
  {
    flag: 'service-node-port-range',
    valueName: 'MIN-MAX',
    description: 'passed to every member: the NodePort range',
    defaultText: DEFAULT_NODE_PORT_RANGE,
  },
  {
    flag: 'insecure',
    boolean: true,
    description:
      'plain HTTP and gRPC without authentication (loopback only); the default is TLS on every port with certificates under DATA/pki, and RBAC',
  },
  {
    flag: 'workers',
    valueName: 'N',
    description:
      'real workers w1..wN (root): network namespaces flotilla-wN, each with containerd and a node agent; the masters then listen on the workers’ fabric address 10.239.0.254',
    defaultText: '2 as root, else 0',
  },
  {
    flag: 'hollow-nodes',
    valueName: 'N',
    description: 'hollow nodes hollow-0.. (no containers, no root needed)',
    defaultText: '0 as root, else --workers or 2',
  },
  {
    flag: 'no-restart',
    boolean: true,
    description:
      "leave a master that dies on its own down (default: start it again after 2 s, doubling while it keeps dying within 10 s, at most 30 s, as compose's restart: on-failure)",
  },
  { flag: 'help', short: 'h', boolean: true, description: 'show this help' },
];

export function upUsage(): string {
  return `${formatUsage(
    'flotilla up [options]',
    'Runs a local HA cluster: N control-plane processes on this machine, their logs prefixed\nwith the member name. Ctrl-C stops them all.',
    UP_OPTIONS,
  )}
While it runs, type on stdin:
  status           each member's state, pid and ports
  stop <member>    SIGTERM (then SIGKILL after --stop-timeout)
  start <member>   start a stopped or crashed member
  restart <member> stop, then start
  help             this list
A master that dies on its own is started again after a short back-off (--no-restart: not).
SIGHUP starts every member that is not running; SIGINT/SIGTERM stop all and exit.
`;
}

export type ParsedUp = { help: true } | { help: false; options: UpOptions };

export function parseUpOptions(
  argv: readonly string[],
  context: { cwd: string; defaultEntry: string; isRoot?: boolean; platform?: NodeJS.Platform },
): ParsedUp {
  // `up` reads flags only: FLOTILLA_* variables configure a single member, not a whole cluster.
  const settings = readSettings(UP_OPTIONS, argv, {});
  if (settings.has('help')) return { help: true };
  const entry = settings.get('control-plane-entry')?.value;
  const nodes = planNodes(settings, context.isRoot === true);
  const givenHost = optionalValue(settings.get('listen-host'), hostValue);
  if (nodes.workers > 0 && givenHost !== undefined && givenHost !== WORKER_FABRIC_HOST) {
    throw settingError(
      '--listen-host',
      `real workers reach the masters at ${WORKER_FABRIC_HOST} (their fabric); drop --listen-host, or pass --workers 0`,
    );
  }
  const listenHost = givenHost ?? (nodes.workers > 0 ? WORKER_FABRIC_HOST : '127.0.0.1');
  const options: UpOptions = {
    members: optionalValue(settings.get('members'), (s) => integerValue(s, 1, 7)) ?? 3,
    dataDir: resolve(context.cwd, settings.get('data-dir')?.value ?? 'data'),
    listenHost,
    baseApiPort: optionalValue(settings.get('base-api-port'), portValue) ?? 6443,
    baseEtcdPort: optionalValue(settings.get('base-etcd-port'), portValue) ?? 2379,
    basePeerPort: optionalValue(settings.get('base-peer-port'), portValue) ?? 2380,
    // Members whose peer port is reachable from elsewhere refuse the public default token; every
    // member of this cluster is started here, so they can share a random one.
    clusterToken:
      settings.get('cluster-token')?.value ??
      (isLoopbackHost(listenHost) ? 'flotilla' : randomBytes(16).toString('hex')),
    stopTimeoutMs:
      (optionalValue(settings.get('stop-timeout'), (s) => integerValue(s, 1, 600)) ?? 10) * 1000,
    controlPlaneEntry: entry ? resolve(context.cwd, entry) : context.defaultEntry,
    insecure: settings.has('insecure'),
    restartMembers: !settings.has('no-restart'),
    ownPeerAddresses: (context.platform ?? process.platform) === 'linux',
    ...nodes,
  };
  const cidr = optionalValue(settings.get('service-cidr'), (s) =>
    parsedValue(s, (t) => parseServiceCidr(t).text),
  );
  const nodePorts = optionalValue(settings.get('service-node-port-range'), (s) =>
    parsedValue(s, (t) => formatNodePortRange(parseNodePortRange(t))),
  );
  if (cidr) options.serviceCidr = cidr;
  if (nodePorts) options.serviceNodePortRange = nodePorts;
  return { help: false, options };
}

/** Real workers need root; without it, as many hollow nodes stand in (and a note says why). */
function planNodes(
  settings: ReturnType<typeof readSettings>,
  isRoot: boolean,
): Pick<UpOptions, 'workers' | 'hollowNodes' | 'notes'> {
  const workers = optionalValue(settings.get('workers'), (s) => integerValue(s, 0, 9));
  const hollow = optionalValue(settings.get('hollow-nodes'), (s) => integerValue(s, 0, 5000));
  if (isRoot) return { workers: workers ?? 2, hollowNodes: hollow ?? 0, notes: [] };
  const wanted = workers ?? 2;
  return {
    workers: 0,
    hollowNodes: hollow ?? wanted,
    notes: wanted > 0 ? [WORKERS_NEED_ROOT] : [],
  };
}

/**
 * The built CLI sits next to the built control-plane (dist/apps/flotilla, dist/apps/control-plane);
 * run from sources through tsx, the sources sit side by side the same way.
 */
export function defaultControlPlaneEntry(cliFile: string, cliDir: string): string {
  return cliFile.endsWith('.ts')
    ? join(cliDir, '../../control-plane/src/main.ts')
    : join(cliDir, '../control-plane/main.js');
}

export function checkEntryExists(entry: string, exists: (path: string) => boolean): void {
  if (!exists(entry)) {
    throw new ConfigError(
      `--control-plane-entry: ${JSON.stringify(entry)} does not exist (run npm run build first)`,
    );
  }
}
