// `flotilla hollow-nodes` flags, checked: how many nodes, what each offers, how they are named
// and spread over zones, and how often their Leases are renewed.
import {
  ConfigError,
  formatUsage,
  integerValue,
  optionalValue,
  OptionSpec,
  readSettings,
  settingError,
  type Setting,
} from '@flotilla/process';
import { parseQuantity } from '@flotilla/api';

export interface HollowTaint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface HollowOptions {
  count: number;
  cpu: string;
  memory: string;
  pods: number;
  labels: Record<string, string>;
  taints: HollowTaint[];
  /** Spread over this many zones (topology.kubernetes.io/zone=zone-0..); 0: no zone label. */
  zones: number;
  namePrefix: string;
  kubeconfig: string;
  /**
   * The cluster CA (ca.crt, ca.key) to give each node its own client certificate from
   * (system:node:<name>); unset: the command looks beside the kubeconfig (DATA/pki).
   */
  pkiDir?: string;
  leaseRenewMs: number;
  /** Pod status writes in flight at once. */
  concurrency: number;
}

export const HOLLOW_OPTIONS: readonly OptionSpec[] = [
  { flag: 'count', valueName: 'N', description: 'nodes to register (required)' },
  { flag: 'cpu', valueName: 'QTY', description: 'cpu capacity of each node', defaultText: '4' },
  {
    flag: 'memory',
    valueName: 'QTY',
    description: 'memory capacity of each node',
    defaultText: '16Gi',
  },
  { flag: 'pods', valueName: 'N', description: 'pods each node accepts', defaultText: '110' },
  { flag: 'labels', valueName: 'K=V,...', description: 'extra labels on every node' },
  { flag: 'taints', valueName: 'K[=V]:EFFECT,...', description: 'taints on every node' },
  {
    flag: 'zones',
    valueName: 'N',
    description: 'spread nodes over N zones (topology.kubernetes.io/zone)',
    defaultText: '0 (no zone label)',
  },
  {
    flag: 'name-prefix',
    valueName: 'PREFIX',
    description: 'nodes are PREFIX-0, PREFIX-1, ...',
    defaultText: 'hollow',
  },
  {
    flag: 'kubeconfig',
    env: 'KUBECONFIG',
    valueName: 'FILE',
    description: 'how to reach the cluster',
    defaultText: './data/kubeconfig',
  },
  {
    flag: 'pki-dir',
    env: 'FLOTILLA_PKI_DIR',
    valueName: 'DIR',
    description:
      "the cluster CA: each node's kubelet gets its own certificate (system:node:<name>), as real kubelets do",
    defaultText: 'pki/ beside the kubeconfig, when it holds ca.key',
  },
  {
    flag: 'lease-renew-interval',
    valueName: 'SECONDS',
    description:
      'each node renews its Lease in kube-node-lease this often (spread over the interval)',
    defaultText: "10 (the kubelet's)",
  },
  {
    flag: 'concurrency',
    valueName: 'N',
    description: 'API writes in flight at once',
    defaultText: '64',
  },
  { flag: 'help', short: 'h', boolean: true, description: 'show this help' },
];

export function hollowUsage(): string {
  return formatUsage(
    'flotilla hollow-nodes --count N [options]',
    "Registers N hollow nodes (kubemark style) and plays their kubelets: pods bound to them run (status Running, a pod IP from the node's podCIDR, Ready) and deletions finish. One process for thousands of nodes; Ctrl-C removes the nodes and their pods.",
    HOLLOW_OPTIONS,
  );
}

const quantity = (s: Setting): string => {
  const v = parseQuantity(s.value);
  if (v === undefined || v <= 0)
    throw settingError(s.source, `${JSON.stringify(s.value)} is not a positive quantity`);
  return s.value;
};

const LABEL = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function labels(s: Setting): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.value.split(',').filter(Boolean)) {
    const [k, v = '', ...rest] = part.split('=');
    if (rest.length || !LABEL.test(k))
      throw settingError(s.source, `${JSON.stringify(part)} is not key=value`);
    out[k] = v;
  }
  return out;
}

function taints(s: Setting): HollowTaint[] {
  return s.value
    .split(',')
    .filter(Boolean)
    .map((part) => {
      const m = /^([^=:]+)(?:=([^:]*))?:(\w+)$/.exec(part);
      if (!m || !LABEL.test(m[1]) || !EFFECTS.includes(m[3]))
        throw settingError(
          s.source,
          `${JSON.stringify(part)} is not key[=value]:NoSchedule|PreferNoSchedule|NoExecute`,
        );
      return { key: m[1], ...(m[2] ? { value: m[2] } : {}), effect: m[3] as HollowTaint['effect'] };
    });
}

export function parseHollowOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): HollowOptions | { help: true } {
  const settings = readSettings(HOLLOW_OPTIONS, argv, env);
  if (settings.has('help')) return { help: true };
  const get = (f: string) => settings.get(f);
  const count = get('count');
  if (!count) throw new ConfigError('--count is required (see --help)');
  const prefix = get('name-prefix')?.value ?? 'hollow';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(prefix))
    throw settingError('--name-prefix', `${JSON.stringify(prefix)} is not a DNS label`);
  return {
    count: integerValue(count, 1, 32_768),
    cpu: optionalValue(get('cpu'), quantity) ?? '4',
    memory: optionalValue(get('memory'), quantity) ?? '16Gi',
    pods: optionalValue(get('pods'), (s) => integerValue(s, 1, 250)) ?? 110,
    labels: optionalValue(get('labels'), labels) ?? {},
    taints: optionalValue(get('taints'), taints) ?? [],
    zones: optionalValue(get('zones'), (s) => integerValue(s, 0, 1000)) ?? 0,
    namePrefix: prefix,
    kubeconfig: get('kubeconfig')?.value ?? 'data/kubeconfig',
    ...(get('pki-dir') ? { pkiDir: get('pki-dir')!.value } : {}),
    leaseRenewMs:
      (optionalValue(get('lease-renew-interval'), (s) => integerValue(s, 1, 3600)) ?? 10) * 1000,
    concurrency: optionalValue(get('concurrency'), (s) => integerValue(s, 1, 1000)) ?? 64,
  };
}
