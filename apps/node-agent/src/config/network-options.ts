// The node agent's networking flags: kube-proxy's (with upstream's names where it has them), the
// pod network's and cluster DNS's.
import { checkNodePortAddresses, parseCidr, parseIP } from '@flotilla/kube-proxy';
import type { NodeNetworkSettings } from '@flotilla/node-network';
import {
  OptionSpec,
  Setting,
  Settings,
  integerValue,
  nameValue,
  oneOfValue,
  optionalValue,
  parseHostPort,
  settingError,
} from '@flotilla/process';
import { join } from 'node:path';

export interface NodeNetworkConfig extends Omit<NodeNetworkSettings, 'nodeName'> {
  /** --cleanup: remove the node's tables and the DNS address, then exit. */
  cleanup: boolean;
}

export const NETWORK_OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'proxy-mode',
    env: 'FLOTILLA_PROXY_MODE',
    valueName: 'MODE',
    description: 'nftables (kube-proxy on this node) or none',
    defaultText: 'nftables',
  },
  {
    flag: 'cluster-cidr',
    env: 'FLOTILLA_CLUSTER_CIDR',
    valueName: 'CIDRS',
    description: 'the pods’ address ranges, one per family, comma-separated',
    defaultText: '10.244.0.0/16',
  },
  {
    flag: 'service-cluster-ip-range',
    env: 'FLOTILLA_SERVICE_CIDR',
    valueName: 'CIDRS',
    description: 'the ClusterIP ranges (traffic to unallocated ClusterIPs is dropped)',
    defaultText: '10.96.0.0/12',
  },
  {
    flag: 'node-ip',
    env: 'FLOTILLA_NODE_IP',
    valueName: 'IPS',
    description: 'this node’s addresses, comma-separated',
    defaultText: 'the InternalIPs of its Node object',
  },
  {
    flag: 'nodeport-addresses',
    env: 'FLOTILLA_NODEPORT_ADDRESSES',
    valueName: 'LIST',
    description:
      'addresses that accept NodePort traffic: "primary" and/or CIDRs of local addresses (0.0.0.0/0: all)',
    defaultText: 'primary',
  },
  { flag: 'masquerade-all', boolean: true, description: 'masquerade all traffic to ClusterIPs' },
  {
    flag: 'masquerade-bit',
    valueName: 'BIT',
    description: 'the packet-mark bit that asks for masquerade (0-31)',
    defaultText: '14',
  },
  {
    flag: 'min-sync-period',
    env: 'FLOTILLA_MIN_SYNC_PERIOD',
    valueName: 'DURATION',
    description: 'changes within this are written in one nftables transaction',
    defaultText: '1s',
  },
  {
    flag: 'sync-period',
    valueName: 'DURATION',
    description: 'a full rewrite of the kube-proxy table at least this often (repairs drift)',
    defaultText: '1h',
  },
  {
    flag: 'healthz-bind-address',
    valueName: 'HOST:PORT',
    description: 'kube-proxy /healthz and /livez ("off" to not serve them)',
    defaultText: '<listen-host>:10256',
  },
  {
    flag: 'cleanup',
    boolean: true,
    description: 'remove the node’s nftables tables and DNS address, then exit',
  },
  {
    flag: 'cni-conf-dir',
    env: 'FLOTILLA_CNI_CONF_DIR',
    valueName: 'DIR',
    description:
      'where the CNI configuration is written (containerd’s cni conf_dir); "off": no pod network',
    defaultText: '<data-dir>/cni/net.d',
  },
  {
    flag: 'cni-network-name',
    env: 'FLOTILLA_CNI_NETWORK_NAME',
    valueName: 'NAME',
    description:
      'the CNI network’s name (libcni caches results under it: one per node where nodes share a machine)',
    defaultText: 'flotilla',
  },
  {
    flag: 'cluster-domain',
    env: 'FLOTILLA_CLUSTER_DOMAIN',
    valueName: 'DOMAIN',
    description: 'the cluster’s DNS zone',
    defaultText: 'cluster.local',
  },
  {
    flag: 'cluster-dns',
    env: 'FLOTILLA_CLUSTER_DNS',
    valueName: 'IP',
    description: 'serve cluster DNS at this address ("off": do not serve it)',
    defaultText: 'the ClusterIP of the kube-system/kube-dns Service',
  },
  {
    flag: 'resolv-conf',
    valueName: 'FILE',
    description: 'the node’s resolver configuration: names outside the cluster are forwarded there',
    defaultText: '/etc/resolv.conf',
  },
];

export function parseNetworkConfig(
  settings: Settings,
  base: { dataDir: string; listenHost: string },
): NodeNetworkConfig {
  const mode =
    optionalValue(settings.get('proxy-mode'), (s) =>
      oneOfValue(s, ['nftables', 'none'] as const),
    ) ?? 'nftables';
  const cniDir = settings.get('cni-conf-dir')?.value ?? join(base.dataDir, 'cni', 'net.d');
  const dnsSetting = settings.get('cluster-dns');
  const healthz = settings.get('healthz-bind-address');
  const nodePortAddresses = optionalValue(settings.get('nodeport-addresses'), listValue) ?? [];
  const npProblem = checkNodePortAddresses(nodePortAddresses);
  if (npProblem) throw settingError(settings.get('nodeport-addresses')!.source, npProblem);
  return {
    proxy: mode === 'nftables',
    clusterCIDRs: optionalValue(settings.get('cluster-cidr'), cidrListValue) ?? ['10.244.0.0/16'],
    serviceCIDRs: optionalValue(settings.get('service-cluster-ip-range'), cidrListValue) ?? [
      '10.96.0.0/12',
    ],
    nodeIPs: optionalValue(settings.get('node-ip'), ipListValue) ?? [],
    nodePortAddresses,
    masqueradeAll: settings.has('masquerade-all'),
    masqueradeBit:
      optionalValue(settings.get('masquerade-bit'), (s) => integerValue(s, 0, 31)) ?? 14,
    proxier: {
      minSyncPeriodMs: optionalValue(settings.get('min-sync-period'), durationValue) ?? 1000,
      syncPeriodMs: optionalValue(settings.get('sync-period'), durationValue) ?? 3600_000,
    },
    healthz:
      healthz?.value === 'off'
        ? undefined
        : healthz
          ? hostPortValue(healthz)
          : { host: base.listenHost, port: 10256 },
    cleanup: settings.has('cleanup'),
    podNetwork: cniDir !== 'off',
    cniConfDir: cniDir,
    cniIpamDir: join(base.dataDir, 'cni', 'ipam'),
    ...(settings.get('cni-network-name')
      ? { cniNetworkName: nameValue(settings.get('cni-network-name')!) }
      : {}),
    dns: dnsSetting?.value !== 'off',
    clusterDomain: settings.get('cluster-domain')?.value.replace(/\.$/, '') ?? 'cluster.local',
    clusterDNS: dnsSetting && dnsSetting.value !== 'off' ? ipListValue(dnsSetting)[0] : undefined,
    resolvConf: settings.get('resolv-conf')?.value ?? '/etc/resolv.conf',
  };
}

function listValue(setting: Setting): string[] {
  return setting.value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function cidrListValue(setting: Setting): string[] {
  return listValue(setting).map((item) => {
    const cidr = parseCidr(item, { strict: false });
    if (!cidr) throw settingError(setting.source, `${JSON.stringify(item)} is not a CIDR`);
    return cidr.text;
  });
}

function ipListValue(setting: Setting): string[] {
  return listValue(setting).map((item) => {
    const ip = parseIP(item);
    if (!ip) throw settingError(setting.source, `${JSON.stringify(item)} is not an IP address`);
    return ip.ip;
  });
}

function hostPortValue(setting: Setting): { host: string; port: number } {
  const hp = parseHostPort(setting.value);
  if (!hp) throw settingError(setting.source, `${JSON.stringify(setting.value)} is not HOST:PORT`);
  return hp;
}

/** "500ms", "2s", "30m", "1h" → milliseconds. */
export function durationValue(setting: Setting): number {
  const m = /^(\d+)(ms|s|m|h)$/.exec(setting.value.trim());
  if (!m)
    throw settingError(
      setting.source,
      `${JSON.stringify(setting.value)} is not a duration (500ms, 2s, 30m, 1h)`,
    );
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}
