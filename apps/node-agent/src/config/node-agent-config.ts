import { resolve } from 'node:path';
import type { LogLevel } from '@flotilla/observability';
import {
  ConfigContext,
  ConfigError,
  OptionSpec,
  ParsedCommandLine,
  formatUsage,
  hostValue,
  isValidName,
  nameValue,
  optionalValue,
  portValue,
  readSettings,
  urlListValue,
} from '@flotilla/process';
import { COMMON_SERVER_OPTIONS, logLevelValue } from '@flotilla/process';
import { NETWORK_OPTIONS, NodeNetworkConfig, parseNetworkConfig } from './network-options';

/** Everything a worker needs to know about itself, validated. */
export interface NodeAgentConfig {
  /** The Node object's name; the host name unless set, as the kubelet does. */
  name: string;
  dataDir: string;
  listenHost: string;
  apiPort: number;
  /** The masters' API URLs; empty until the agent starts talking to them. */
  servers: string[];
  logLevel: LogLevel;
  /** kube-proxy, pod network and cluster DNS; absent: the agent does no networking (tests that
   *  boot it in-process for other reasons). */
  network?: NodeNetworkConfig;
}

export const NODE_AGENT_PROGRAM = 'flotilla node-agent';

export const NODE_AGENT_OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'name',
    env: 'FLOTILLA_NAME',
    valueName: 'NAME',
    description: 'the Node name',
    defaultText: 'the host name',
  },
  {
    flag: 'data-dir',
    env: 'FLOTILLA_DATA_DIR',
    valueName: 'DIR',
    description: 'local state; created if missing',
    defaultText: 'data/nodes/<name>',
  },
  {
    flag: 'api-port',
    env: 'FLOTILLA_API_PORT',
    valueName: 'PORT',
    description: 'health and metrics',
    defaultText: '10250',
  },
  {
    flag: 'listen-host',
    env: 'FLOTILLA_LISTEN_HOST',
    valueName: 'HOST',
    description: 'address to bind (0.0.0.0 in containers)',
    defaultText: '127.0.0.1',
  },
  {
    flag: 'servers',
    env: 'FLOTILLA_SERVERS',
    valueName: 'URLS',
    description: 'master API URLs, comma-separated: http://127.0.0.1:6443,...',
  },
  ...COMMON_SERVER_OPTIONS,
  ...NETWORK_OPTIONS,
];

export function nodeAgentUsage(): string {
  return formatUsage(
    'node-agent [options]',
    'A Flotilla worker: registers its Node and runs the pods bound to it. Flags win over environment.',
    NODE_AGENT_OPTIONS,
  );
}

export function parseNodeAgentConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  context: ConfigContext,
): ParsedCommandLine<NodeAgentConfig> {
  const settings = readSettings(NODE_AGENT_OPTIONS, argv, env);
  if (settings.has('help')) return { help: true };

  const nameSetting = settings.get('name');
  const name = nameSetting ? nameValue(nameSetting) : nameFromHostname(context.hostname);
  const dataDir = resolve(context.cwd, settings.get('data-dir')?.value ?? `data/nodes/${name}`);
  const listenHost = optionalValue(settings.get('listen-host'), hostValue) ?? '127.0.0.1';
  return {
    help: false,
    config: {
      name,
      dataDir,
      listenHost,
      apiPort: optionalValue(settings.get('api-port'), portValue) ?? 10250,
      servers: optionalValue(settings.get('servers'), urlListValue) ?? [],
      logLevel: logLevelValue(settings.get('log-level')),
      network: parseNetworkConfig(settings, { dataDir, listenHost }),
    },
  };
}

/** Node names are lowercase; a host name that still is not a valid name needs --name. */
function nameFromHostname(hostname: string): string {
  const candidate = hostname.toLowerCase();
  if (!isValidName(candidate)) {
    throw new ConfigError(
      `the host name ${JSON.stringify(hostname)} is not a valid node name; set --name (or FLOTILLA_NAME)`,
    );
  }
  return candidate;
}
