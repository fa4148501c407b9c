import { resolve } from 'node:path';
import type { LogLevel } from '@flotilla/observability';
import {
  DEFAULT_IMAGE_GC_POLICY,
  FAKE_RUNTIME_ENDPOINT,
  SANDBOX_IMAGE,
  imageGcPolicyProblems,
  parseLabels,
  parseTaints,
  type ImageGcPolicy,
  type Taint,
} from '@flotilla/kubelet';
import {
  ConfigContext,
  ConfigError,
  durationValue,
  integerValue,
  OptionSpec,
  ParsedCommandLine,
  formatUsage,
  hostValue,
  isValidName,
  nameValue,
  optionalValue,
  parsedValue,
  portValue,
  readSettings,
  Setting,
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
  /** The masters' API URLs (plain HTTP or HTTPS without client credentials); or see kubeconfig. */
  servers: string[];
  /** A kubeconfig naming the masters with their TLS settings and credentials. */
  kubeconfig?: string;
  /** kube-proxy's own (system:kube-proxy); the node's identity may not read what it needs. */
  proxyKubeconfig?: string;
  logLevel: LogLevel;
  /** kube-proxy, pod network and cluster DNS; absent: the agent does no networking (tests that
   *  boot it in-process for other reasons). */
  network?: NodeNetworkConfig;
  /** The kubelet's settings; undefined (no kubelet) unless a runtime endpoint is given. */
  kubelet?: KubeletSettings;
}

export interface KubeletSettings {
  /** CRI socket (unix:///run/containerd/containerd.sock), or fake:// for a hollow node. */
  runtimeEndpoint: string;
  /** Pod directories and volumes. */
  rootDir: string;
  podLogDir: string;
  /** Static pods, with the ConfigMaps and Secrets they use. */
  manifestDir?: string;
  /** The node's addresses; the first non-loopback IPv4 address when empty. */
  nodeIPs: string[];
  cgroupRoot: string;
  clusterDns: string[];
  clusterDomain: string;
  nodeLabels: Record<string, string>;
  taints: Taint[];
  /** Learn the cluster DNS address from the kube-dns Service (no --cluster-dns, DNS not off). */
  clusterDnsFromService: boolean;
  /** When and which unused images are removed. */
  imageGc: ImageGcPolicy;
  /** The pod sandbox image, which image garbage collection keeps. */
  sandboxImage: string;
  /** The kubelet server; undefined with --kubelet-port off. */
  server?: {
    host: string;
    port: number;
    tlsCertFile?: string;
    tlsKeyFile?: string;
    clientCaFile?: string;
  };
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
    description: 'health and metrics (/healthz, /readyz, /metrics)',
    defaultText: '10248',
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
  {
    flag: 'kubeconfig',
    env: 'FLOTILLA_KUBECONFIG',
    valueName: 'FILE',
    description:
      "how to reach the masters (servers, TLS, credentials); every master of the context's cluster is a failover endpoint",
  },
  {
    flag: 'proxy-kubeconfig',
    env: 'FLOTILLA_PROXY_KUBECONFIG',
    valueName: 'FILE',
    description:
      "kube-proxy's own kubeconfig (system:kube-proxy: reads Services, EndpointSlices and Nodes, which a node's identity may not)",
    defaultText: '--kubeconfig',
  },
  {
    flag: 'runtime-endpoint',
    env: 'FLOTILLA_RUNTIME_ENDPOINT',
    valueName: 'SOCKET',
    description:
      'CRI socket of the container runtime; runs the kubelet (unix:///run/containerd/containerd.sock; fake:// for a hollow node)',
  },
  {
    flag: 'root-dir',
    env: 'FLOTILLA_ROOT_DIR',
    valueName: 'DIR',
    description: "the kubelet's pod directories and volumes",
    defaultText: '<data-dir>/kubelet',
  },
  {
    flag: 'pod-log-dir',
    env: 'FLOTILLA_POD_LOG_DIR',
    valueName: 'DIR',
    description: 'container logs, one directory per pod',
    defaultText: '<data-dir>/pod-logs',
  },
  {
    flag: 'pod-manifest-path',
    env: 'FLOTILLA_POD_MANIFEST_PATH',
    valueName: 'DIR',
    description: 'static pods (and their ConfigMaps and Secrets) from YAML or JSON files',
  },
  {
    flag: 'cgroup-root',
    env: 'FLOTILLA_CGROUP_ROOT',
    valueName: 'PATH',
    description: 'cgroup under which pods get pod<uid>',
    defaultText: '/kubepods',
  },
  {
    flag: 'node-labels',
    env: 'FLOTILLA_NODE_LABELS',
    valueName: 'K=V,...',
    description: 'labels of the Node object, besides kubernetes.io/hostname, os and arch',
  },
  {
    flag: 'register-with-taints',
    env: 'FLOTILLA_REGISTER_WITH_TAINTS',
    valueName: 'K[=V]:EFFECT,...',
    description: 'taints the Node is registered with',
  },
  {
    flag: 'kubelet-address',
    env: 'FLOTILLA_KUBELET_ADDRESS',
    valueName: 'HOST',
    description:
      'address of the kubelet server (logs, exec, attach, port-forward for the API server)',
    defaultText: '0.0.0.0',
  },
  {
    flag: 'kubelet-port',
    env: 'FLOTILLA_KUBELET_PORT',
    valueName: 'PORT',
    description:
      'port of the kubelet server, reported in the Node status; 0: any free port; "off": not served',
    defaultText: '10250',
  },
  {
    flag: 'tls-cert-file',
    env: 'FLOTILLA_TLS_CERT_FILE',
    valueName: 'FILE',
    description: 'the node’s serving certificate (PEM): the kubelet server speaks HTTPS',
  },
  {
    flag: 'tls-private-key-file',
    env: 'FLOTILLA_TLS_PRIVATE_KEY_FILE',
    valueName: 'FILE',
    description: 'the key of --tls-cert-file',
  },
  {
    flag: 'client-ca-file',
    env: 'FLOTILLA_CLIENT_CA_FILE',
    valueName: 'FILE',
    description:
      'with --tls-cert-file: the kubelet server takes only client certificates from this CA in group system:masters (the API server)',
  },
  {
    flag: 'image-gc-high-threshold',
    env: 'FLOTILLA_IMAGE_GC_HIGH_THRESHOLD',
    valueName: 'PERCENT',
    description:
      'image filesystem usage at or above which unused images are removed, least recently used first; 100 turns image garbage collection off',
    defaultText: String(DEFAULT_IMAGE_GC_POLICY.highThresholdPercent),
  },
  {
    flag: 'image-gc-low-threshold',
    env: 'FLOTILLA_IMAGE_GC_LOW_THRESHOLD',
    valueName: 'PERCENT',
    description: 'image garbage collection frees space down to this usage; below the high one',
    defaultText: String(DEFAULT_IMAGE_GC_POLICY.lowThresholdPercent),
  },
  {
    flag: 'minimum-image-ttl-duration',
    env: 'FLOTILLA_MINIMUM_IMAGE_TTL_DURATION',
    valueName: 'DURATION',
    description:
      'an unused image is not removed for space before it is this old (since first seen)',
    defaultText: '2m',
  },
  {
    flag: 'image-maximum-gc-age',
    env: 'FLOTILLA_IMAGE_MAXIMUM_GC_AGE',
    valueName: 'DURATION',
    description: 'images unused this long are removed whatever the usage; 0 turns it off',
    defaultText: '0',
  },
  {
    flag: 'image-gc-period',
    env: 'FLOTILLA_IMAGE_GC_PERIOD',
    valueName: 'DURATION',
    description:
      'how often image garbage collection looks at the image filesystem (and once at start)',
    defaultText: '5m',
  },
  {
    flag: 'pod-infra-container-image',
    env: 'FLOTILLA_POD_INFRA_CONTAINER_IMAGE',
    valueName: 'IMAGE',
    description:
      "the runtime's pod sandbox image (its own setting decides which it runs); image garbage collection never removes it",
    defaultText: SANDBOX_IMAGE,
  },
  ...COMMON_SERVER_OPTIONS,
  ...NETWORK_OPTIONS,
];

function endpointValue(setting: Setting): string {
  return parsedValue(setting, (text) => {
    const t = text.trim();
    if (t === FAKE_RUNTIME_ENDPOINT) return t;
    if (/^unix:\/\/\/./.test(t)) return t;
    if (t.startsWith('/')) return `unix://${t}`;
    throw new Error(
      `${JSON.stringify(text)} is not a unix socket (unix:///path or /path) nor ${FAKE_RUNTIME_ENDPOINT}`,
    );
  });
}

/** The kubelet shares --node-ip, --cluster-dns and --cluster-domain with the node's networking. */
function kubeletSettings(
  settings: ReadonlyMap<string, Setting>,
  network: NodeNetworkConfig,
  dataDir: string,
  cwd: string,
): KubeletSettings | undefined {
  const endpoint = settings.get('runtime-endpoint');
  if (!endpoint) return undefined;
  const dir = (flag: string, fallback: string) =>
    resolve(cwd, settings.get(flag)?.value ?? fallback);
  const manifest = settings.get('pod-manifest-path');
  const cgroupRoot = settings.get('cgroup-root')?.value ?? '/kubepods';
  if (!cgroupRoot.startsWith('/')) {
    throw new ConfigError(
      `--cgroup-root: ${JSON.stringify(cgroupRoot)} is not an absolute cgroup path`,
    );
  }
  return {
    runtimeEndpoint: endpointValue(endpoint),
    rootDir: dir('root-dir', `${dataDir}/kubelet`),
    podLogDir: dir('pod-log-dir', `${dataDir}/pod-logs`),
    ...(manifest ? { manifestDir: resolve(cwd, manifest.value) } : {}),
    nodeIPs: network.nodeIPs,
    cgroupRoot: cgroupRoot.replace(/\/+$/, ''),
    clusterDns: network.clusterDNS ? [network.clusterDNS] : [],
    clusterDnsFromService: network.dns && !network.clusterDNS,
    ...kubeletServer(settings, cwd),
    clusterDomain: network.clusterDomain,
    nodeLabels:
      optionalValue(settings.get('node-labels'), (x) => parsedValue(x, parseLabels)) ?? {},
    taints:
      optionalValue(settings.get('register-with-taints'), (x) => parsedValue(x, parseTaints)) ?? [],
    imageGc: imageGcPolicy(settings),
    sandboxImage: settings.get('pod-infra-container-image')?.value.trim() || SANDBOX_IMAGE,
  };
}

/** The image garbage collection flags, checked together as the kubelet checks them. */
function imageGcPolicy(settings: ReadonlyMap<string, Setting>): ImageGcPolicy {
  const d = DEFAULT_IMAGE_GC_POLICY;
  const percent = (flag: string) =>
    optionalValue(settings.get(flag), (x) => integerValue(x, 0, 100));
  const duration = (flag: string) => optionalValue(settings.get(flag), durationValue);
  const policy: ImageGcPolicy = {
    highThresholdPercent: percent('image-gc-high-threshold') ?? d.highThresholdPercent,
    lowThresholdPercent: percent('image-gc-low-threshold') ?? d.lowThresholdPercent,
    minAgeMs: duration('minimum-image-ttl-duration') ?? d.minAgeMs,
    maxAgeMs: duration('image-maximum-gc-age') ?? d.maxAgeMs,
    periodMs: duration('image-gc-period') ?? d.periodMs,
  };
  const problems = imageGcPolicyProblems(policy);
  if (problems.length > 0) throw new ConfigError(problems.join('; '));
  return policy;
}

function kubeletServer(
  settings: ReadonlyMap<string, Setting>,
  cwd: string,
): { server?: KubeletSettings['server'] } {
  const portSetting = settings.get('kubelet-port');
  const cert = settings.get('tls-cert-file');
  const key = settings.get('tls-private-key-file');
  if (Boolean(cert) !== Boolean(key)) {
    throw new ConfigError(
      '--tls-cert-file and --tls-private-key-file go together; give both or neither',
    );
  }
  const clientCa = settings.get('client-ca-file');
  if (clientCa && !cert) {
    throw new ConfigError('--client-ca-file needs --tls-cert-file: client certificates need HTTPS');
  }
  if (portSetting?.value === 'off') return {};
  const port = portSetting ? (portSetting.value === '0' ? 0 : portValue(portSetting)) : 10250;
  return {
    server: {
      host: optionalValue(settings.get('kubelet-address'), hostValue) ?? '0.0.0.0',
      port,
      ...(cert && key
        ? { tlsCertFile: resolve(cwd, cert.value), tlsKeyFile: resolve(cwd, key.value) }
        : {}),
      ...(clientCa ? { clientCaFile: resolve(cwd, clientCa.value) } : {}),
    },
  };
}

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
  const network = parseNetworkConfig(settings, { dataDir, listenHost });
  const kubelet = kubeletSettings(settings, network, dataDir, context.cwd);
  const servers = optionalValue(settings.get('servers'), urlListValue) ?? [];
  const kubeconfig = settings.get('kubeconfig');
  if (kubeconfig && servers.length > 0) {
    throw new ConfigError('--servers and --kubeconfig both say where the masters are; give one');
  }
  const proxyKubeconfig = settings.get('proxy-kubeconfig');
  return {
    help: false,
    config: {
      name,
      dataDir,
      listenHost,
      apiPort: optionalValue(settings.get('api-port'), portValue) ?? 10248,
      servers,
      ...(kubeconfig ? { kubeconfig: resolve(context.cwd, kubeconfig.value) } : {}),
      ...(proxyKubeconfig ? { proxyKubeconfig: resolve(context.cwd, proxyKubeconfig.value) } : {}),
      logLevel: logLevelValue(settings.get('log-level')),
      network,
      ...(kubelet ? { kubelet } : {}),
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
