import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LogLevel } from '@flotilla/observability';
import {
  ConfigContext,
  ConfigError,
  ParsedCommandLine,
  optionalValue,
  OptionSpec,
  Setting,
  formatUsage,
  hostValue,
  integerValue,
  isValidName,
  nameValue,
  oneOfValue,
  parseHostPort,
  parsedValue,
  portValue,
  readSettings,
  settingError,
} from '@flotilla/process';
import { COMMON_SERVER_OPTIONS, logLevelValue } from '@flotilla/process';
import {
  DEFAULT_NODE_PORT_RANGE,
  DEFAULT_SERVICE_CIDR,
  formatNodePortRange,
  parseNodePortRange,
  parseServiceCidr,
} from '@flotilla/api';
import { MASTER_LEASE_REFRESH_MS, MASTER_LEASE_TTL_SECONDS } from '@flotilla/controllers';
import { parseSchedulerConfiguration, type SchedulerConfiguration } from '@flotilla/scheduler';
import {
  CONTROLLER_FACTORIES,
  controllerManagerOptions,
  readControllerManagerSettings,
  type ControllerManagerSettings,
} from '@flotilla/controllers';
import {
  checkPeerAuthentication,
  DEFAULT_CLUSTER_TOKEN,
  INSECURE_DEFAULT_TOKEN_FLAG,
} from './peer-authentication';
import { parseSecurityConfig, SecurityConfig, SECURITY_OPTIONS } from './security-config';

export interface PeerAddress {
  name: string;
  host: string;
  port: number;
}

/** Everything a master needs to know about itself and its cluster, validated. */
export interface ControlPlaneConfig {
  name: string;
  dataDir: string;
  /** Where sockets bind: 127.0.0.1 on a laptop, 0.0.0.0 in a container. */
  listenHost: string;
  /** How the other members and clients reach this one. */
  advertiseHost: string;
  /**
   * Where the Raft peer port binds, and the source address of this member's dials to its peers
   * (--peer-host; --listen-host when absent). Members on one machine each get their own loopback
   * address this way, so a firewall rule can cut one off from the others (flotilla chaos partition).
   */
  peerHost?: string;
  apiPort: number;
  etcdPort: number;
  peerPort: number;
  /** The initial Raft membership, this node included. */
  peers: PeerAddress[];
  clusterToken: string;
  logLevel: LogLevel;
  /** Raft timing: one tick every heartbeat interval; an election after electionTicks silent ticks. */
  tickMs: number;
  electionTicks: number;
  /** Applied entries between compactions of the Raft log (against the store's durable state). */
  snapshotEvery: number;
  /** 'new' bootstraps the --peers as the first members; 'existing' joins a running cluster. */
  initialClusterState: 'new' | 'existing';
  /**
   * TLS, authentication and authorization on the three ports, or --insecure. The command line
   * always sets it; a config built in code without it (test harnesses) is the insecure mode.
   */
  security?: SecurityConfig;
  /** The serving pair of the API port (the secure mode's), for the HTTPS listener. */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** The CA the API port asks client certificates of. */
  tlsClientCaFile?: string;
  /** ClusterIP range, normalised (default 10.96.0.0/12); its first address is the kubernetes Service's. */
  serviceCidr?: string;
  /** NodePort range, `min-max` (default 30000-32767). */
  serviceNodePortRange?: string;
  /** How long (s) this master's kube-apiserver Lease outlives its last renewal (default 15). */
  masterLeaseTtlSeconds?: number;
  /** How often this master renews that key and rewrites the kubernetes endpoints (default 10 s). */
  masterLeaseRefreshMs?: number;
  /**
   * kube-controller-manager in this master: --controllers and its controllers' flags. The command
   * line always sets it; a config built in code without it runs no controller manager.
   */
  controllerManager?: ControllerManagerSettings;
  /** This master never runs the scheduler (--disable-scheduler). */
  disableScheduler?: boolean;
  /** The scheduler's profiles (--scheduler-config), read and checked at start; defaults when absent. */
  schedulerConfig?: SchedulerConfiguration;
}

export const CONTROL_PLANE_PROGRAM = 'flotilla control-plane';

export const CONTROL_PLANE_OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'name',
    env: 'FLOTILLA_NAME',
    valueName: 'NAME',
    description: "this member's name, unique in the cluster (required)",
  },
  {
    flag: 'data-dir',
    env: 'FLOTILLA_DATA_DIR',
    valueName: 'DIR',
    description: 'where the Raft log and the store live; created if missing',
    defaultText: 'data/<name>',
  },
  {
    flag: 'api-port',
    env: 'FLOTILLA_API_PORT',
    valueName: 'PORT',
    description: 'Kubernetes API, health and metrics',
    defaultText: '6443',
  },
  {
    flag: 'etcd-port',
    env: 'FLOTILLA_ETCD_PORT',
    valueName: 'PORT',
    description: 'etcd v3 gRPC API',
    defaultText: '2379',
  },
  {
    flag: 'peer-port',
    env: 'FLOTILLA_PEER_PORT',
    valueName: 'PORT',
    description: 'Raft traffic between members',
    defaultText: "this member's --peers entry, else 2380",
  },
  {
    flag: 'peers',
    env: 'FLOTILLA_PEERS',
    valueName: 'LIST',
    description: 'initial members: m1=host:port,m2=host:port,... (must include --name)',
    defaultText: 'this member alone',
  },
  {
    flag: 'listen-host',
    env: 'FLOTILLA_LISTEN_HOST',
    valueName: 'HOST',
    description: 'address to bind (0.0.0.0 in containers)',
    defaultText: '127.0.0.1',
  },
  {
    flag: 'peer-host',
    env: 'FLOTILLA_PEER_HOST',
    valueName: 'HOST',
    description:
      'address the Raft peer port binds and this member dials its peers from (its own loopback address when members share a machine)',
    defaultText: '--listen-host',
  },
  {
    flag: 'advertise-host',
    env: 'FLOTILLA_ADVERTISE_HOST',
    valueName: 'HOST',
    description: 'address others use to reach this member',
    defaultText: "this member's --peers entry, else --listen-host, else the host name",
  },
  {
    flag: 'cluster-token',
    env: 'FLOTILLA_CLUSTER_TOKEN',
    valueName: 'TOKEN',
    description:
      'the secret all members of one cluster share; the public default is refused unless every peer is on loopback',
    defaultText: DEFAULT_CLUSTER_TOKEN,
  },
  {
    flag: INSECURE_DEFAULT_TOKEN_FLAG,
    env: 'FLOTILLA_INSECURE_DEFAULT_TOKEN',
    boolean: true,
    description: 'start with the public default --cluster-token although peers are not on loopback',
  },
  {
    flag: 'heartbeat-interval',
    env: 'FLOTILLA_HEARTBEAT_INTERVAL',
    valueName: 'MS',
    description: 'Raft heartbeat interval in milliseconds (one tick)',
    defaultText: '100',
  },
  {
    flag: 'election-timeout',
    env: 'FLOTILLA_ELECTION_TIMEOUT',
    valueName: 'MS',
    description: 'Raft election timeout in milliseconds (a multiple of the heartbeat interval)',
    defaultText: '1000',
  },
  {
    flag: 'snapshot-count',
    env: 'FLOTILLA_SNAPSHOT_COUNT',
    valueName: 'N',
    description: 'applied entries between compactions of the Raft log',
    defaultText: '10000',
  },
  {
    flag: 'initial-cluster-state',
    env: 'FLOTILLA_INITIAL_CLUSTER_STATE',
    valueName: 'STATE',
    description:
      'new (bootstrap --peers) | existing (join a running cluster after `flotilla members add`)',
    defaultText: 'new',
  },
  {
    flag: 'service-cidr',
    env: 'FLOTILLA_SERVICE_CIDR',
    valueName: 'CIDR',
    description: 'IPv4 range of Service ClusterIPs; its first address is the kubernetes Service',
    defaultText: DEFAULT_SERVICE_CIDR,
  },
  {
    flag: 'service-node-port-range',
    env: 'FLOTILLA_SERVICE_NODE_PORT_RANGE',
    valueName: 'MIN-MAX',
    description: 'ports NodePort Services draw from (both ends included)',
    defaultText: DEFAULT_NODE_PORT_RANGE,
  },
  {
    flag: 'master-lease-ttl',
    env: 'FLOTILLA_MASTER_LEASE_TTL',
    valueName: 'SECONDS',
    description:
      'a master that stops renewing its Lease (kube-system/kube-apiserver-NAME) leaves the kubernetes endpoints after this long',
    defaultText: String(MASTER_LEASE_TTL_SECONDS),
  },
  {
    flag: 'master-lease-refresh',
    env: 'FLOTILLA_MASTER_LEASE_REFRESH',
    valueName: 'MS',
    description: 'how often a master renews its Lease and rewrites the kubernetes endpoints',
    defaultText: String(MASTER_LEASE_REFRESH_MS),
  },
  ...SECURITY_OPTIONS,
  ...controllerManagerOptions(CONTROLLER_FACTORIES),
  {
    flag: 'disable-scheduler',
    env: 'FLOTILLA_DISABLE_SCHEDULER',
    boolean: true,
    description: 'do not run the scheduler in this master (the other masters elect one)',
  },
  {
    flag: 'scheduler-config',
    env: 'FLOTILLA_SCHEDULER_CONFIG',
    valueName: 'FILE',
    description: 'KubeSchedulerConfiguration (YAML or JSON): profiles, plugins, weights',
    defaultText: 'one default-scheduler profile',
  },
  ...COMMON_SERVER_OPTIONS,
];

export function controlPlaneUsage(): string {
  return formatUsage(
    'control-plane [options]',
    'A Flotilla master: Raft member, replicated store, Kubernetes API. Flags win over environment.',
    CONTROL_PLANE_OPTIONS,
  );
}

export function parseControlPlaneConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  context: ConfigContext,
): ParsedCommandLine<ControlPlaneConfig> {
  const settings = readSettings(CONTROL_PLANE_OPTIONS, argv, env);
  if (settings.has('help')) return { help: true };
  const get = (flag: string): Setting | undefined => settings.get(flag);

  const nameSetting = get('name');
  if (!nameSetting) throw new ConfigError('--name (or FLOTILLA_NAME) is required');
  const name = nameValue(nameSetting);

  const listenHost = optionalValue(get('listen-host'), hostValue) ?? '127.0.0.1';
  const peerHost = optionalValue(get('peer-host'), hostValue);
  const peersSetting = get('peers');
  const explicitPeers = optionalValue(peersSetting, parsePeers);
  const self = explicitPeers?.find((p) => p.name === name);
  if (peersSetting && explicitPeers && !self) {
    throw settingError(
      peersSetting.source,
      `does not include this member ${JSON.stringify(name)} (has ${explicitPeers.map((p) => p.name).join(', ')})`,
    );
  }

  const apiPort = optionalValue(get('api-port'), portValue) ?? 6443;
  const etcdPort = optionalValue(get('etcd-port'), portValue) ?? 2379;
  const peerPort = optionalValue(get('peer-port'), portValue) ?? self?.port ?? 2380;
  const advertiseHost =
    optionalValue(get('advertise-host'), hostValue) ??
    self?.host ??
    (isWildcard(listenHost) ? context.hostname : listenHost);
  checkDistinctPorts([
    { source: get('api-port')?.source ?? '--api-port', port: apiPort },
    { source: get('etcd-port')?.source ?? '--etcd-port', port: etcdPort },
    { source: get('peer-port')?.source ?? '--peer-port', port: peerPort },
  ]);

  const clusterToken = get('cluster-token')?.value ?? DEFAULT_CLUSTER_TOKEN;
  const logLevel = logLevelValue(get('log-level'));
  const dataDir = resolve(context.cwd, get('data-dir')?.value ?? `data/${name}`);
  const tickMs = optionalValue(get('heartbeat-interval'), (v) => integerValue(v, 1, 10_000)) ?? 100;
  const electionMs =
    optionalValue(get('election-timeout'), (v) => integerValue(v, 2, 600_000)) ?? 1000;
  if (electionMs < 2 * tickMs) {
    throw settingError(
      get('election-timeout')?.source ?? '--election-timeout',
      `${electionMs} must be at least twice the heartbeat interval (${tickMs})`,
    );
  }
  const initialClusterState =
    optionalValue(get('initial-cluster-state'), (v) =>
      oneOfValue(v, ['new', 'existing'] as const),
    ) ?? 'new';
  const snapshotEvery =
    optionalValue(get('snapshot-count'), (v) => integerValue(v, 1, 100_000_000)) ?? 10000;
  const serviceCidr =
    optionalValue(get('service-cidr'), (v) => parsedValue(v, (t) => parseServiceCidr(t).text)) ??
    DEFAULT_SERVICE_CIDR;
  const serviceNodePortRange =
    optionalValue(get('service-node-port-range'), (v) =>
      parsedValue(v, (t) => formatNodePortRange(parseNodePortRange(t))),
    ) ?? DEFAULT_NODE_PORT_RANGE;
  const masterLeaseTtlSeconds =
    optionalValue(get('master-lease-ttl'), (v) => integerValue(v, 1, 3600)) ??
    MASTER_LEASE_TTL_SECONDS;
  const masterLeaseRefreshMs =
    optionalValue(get('master-lease-refresh'), (v) => integerValue(v, 100, 3_600_000)) ??
    MASTER_LEASE_REFRESH_MS;
  if (masterLeaseRefreshMs >= masterLeaseTtlSeconds * 1000) {
    // Renewing no more often than the lease lapses would drop live masters from the endpoints.
    throw settingError(
      get('master-lease-refresh')?.source ??
        get('master-lease-ttl')?.source ??
        '--master-lease-ttl',
      `a refresh every ${masterLeaseRefreshMs} ms must be shorter than the lease TTL (${masterLeaseTtlSeconds} s)`,
    );
  }

  const controllerManager = readControllerManagerSettings(settings, CONTROLLER_FACTORIES);
  const schedulerConfigSetting = get('scheduler-config');
  const schedulerConfig = schedulerConfigSetting
    ? readSchedulerConfig(schedulerConfigSetting, context.cwd)
    : undefined;

  const peers = explicitPeers ?? [{ name, host: advertiseHost, port: peerPort }];
  const security = parseSecurityConfig(get, { cwd: context.cwd, name, listenHost });
  // With mutual TLS the peer certificates prove membership; the token matters without them.
  if (security.mode === 'insecure')
    checkPeerAuthentication({
      name,
      clusterToken,
      listenHost: peerHost ?? listenHost,
      peers,
      insecureDefaultToken: settings.has(INSECURE_DEFAULT_TOKEN_FLAG),
    });

  return {
    help: false,
    config: {
      name,
      dataDir,
      listenHost,
      advertiseHost,
      ...(peerHost ? { peerHost } : {}),
      apiPort,
      etcdPort,
      peerPort,
      peers,
      clusterToken,
      logLevel,
      tickMs,
      electionTicks: Math.round(electionMs / tickMs),
      snapshotEvery,
      initialClusterState,
      serviceCidr,
      serviceNodePortRange,
      masterLeaseTtlSeconds,
      masterLeaseRefreshMs,
      security,
      controllerManager,
      ...(settings.has('disable-scheduler') ? { disableScheduler: true } : {}),
      ...(schedulerConfig ? { schedulerConfig } : {}),
      ...(security.mode === 'secure'
        ? {
            tlsCertFile: security.tlsCertFile,
            tlsKeyFile: security.tlsKeyFile,
            tlsClientCaFile: security.clientCaFile,
          }
        : {}),
    },
  };
}

/** `m1=127.0.0.1:2380,m2=127.0.0.1:2480`: names unique, addresses unique. */
export function parsePeers(setting: Setting): PeerAddress[] {
  const entries = setting.value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0) throw settingError(setting.source, 'empty list');
  const peers: PeerAddress[] = [];
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const peerName = eq === -1 ? '' : entry.slice(0, eq);
    const address = eq === -1 ? undefined : parseHostPort(entry.slice(eq + 1));
    if (!isValidName(peerName) || !address) {
      throw settingError(setting.source, `${JSON.stringify(entry)} is not name=host:port`);
    }
    if (peers.some((p) => p.name === peerName)) {
      throw settingError(setting.source, `${JSON.stringify(peerName)} appears more than once`);
    }
    const clash = peers.find((p) => p.host === address.host && p.port === address.port);
    if (clash) {
      throw settingError(setting.source, `${peerName} and ${clash.name} have the same address`);
    }
    peers.push({ name: peerName, ...address });
  }
  return peers;
}

function readSchedulerConfig(setting: Setting, cwd: string): SchedulerConfiguration {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, setting.value), 'utf8');
  } catch (e) {
    throw settingError(setting.source, `cannot read ${setting.value}: ${(e as Error).message}`);
  }
  try {
    return parseSchedulerConfiguration(text);
  } catch (e) {
    throw settingError(setting.source, `${setting.value}: ${(e as Error).message}`);
  }
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

function checkDistinctPorts(ports: { source: string; port: number }[]): void {
  for (let i = 0; i < ports.length; i++) {
    for (let j = 0; j < i; j++) {
      if (ports[i].port === ports[j].port) {
        throw settingError(ports[i].source, `${ports[i].port} is also the ${ports[j].source}`);
      }
    }
  }
}
