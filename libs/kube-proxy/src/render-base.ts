// The fixed skeleton of the table: hooks, dispatch through verdict maps, reject and masquerade
// helpers. Every Service adds only map elements and chains of its own to it.
import type { RenderOptions } from './render-options';
import { masqueradeMark } from './render-options';
import { BaseRuleset, ChainSpec, ElementSpec, SetSpec, nftFamily } from './ruleset';

/** Fixed chain, set and map names (none contains "/", unlike per-Service names). */
export const NAMES = {
  services: 'services',
  serviceIPs: 'service-ips',
  serviceNodePorts: 'service-nodeports',
  nodePortIPs: 'nodeport-ips',
  clusterIPs: 'cluster-ips',
  serviceEndpointsCheck: 'service-endpoints-check',
  nodePortEndpointsCheck: 'nodeport-endpoints-check',
  noEndpointServices: 'no-endpoint-services',
  noEndpointNodePorts: 'no-endpoint-nodeports',
  reject: 'reject-chain',
  firewallIPs: 'firewall-ips',
  firewallCheck: 'firewall-check',
  clusterIPsCheck: 'cluster-ips-check',
  markMasq: 'mark-for-masquerade',
  masquerading: 'masquerading',
} as const;

// Filter chains look at destinations before DNAT (priority dstnat - 10); the ClusterIP check on
// the output path runs after it (dstnat + 10), when only unknown ports still point at a ClusterIP.
const DSTNAT = -100;
const SRCNAT = 100;

export function renderBase(opts: RenderOptions): BaseRuleset {
  const ipX = nftFamily(opts.family);
  const addrType = opts.family === 'ipv4' ? 'ipv4_addr' : 'ipv6_addr';
  const noLocalhost = opts.family === 'ipv4' ? 'ip daddr != 127.0.0.0/8' : 'ip6 daddr != ::1';
  const mark = masqueradeMark(opts.masqueradeBit);
  const matchAll = opts.nodePortIPs === 'all';
  const dispatchKey = `${ipX} daddr . meta l4proto . th dport`;

  const chains: ChainSpec[] = [
    base('filter-prerouting', 'filter', 'prerouting', DSTNAT - 10, [
      `ct state new jump ${NAMES.firewallCheck}`,
    ]),
    base('filter-input', 'filter', 'input', DSTNAT - 10, [
      `ct state new jump ${NAMES.nodePortEndpointsCheck}`,
      `ct state new jump ${NAMES.serviceEndpointsCheck}`,
    ]),
    base('filter-forward', 'filter', 'forward', DSTNAT - 10, [
      `ct state new jump ${NAMES.serviceEndpointsCheck}`,
      `ct state new jump ${NAMES.clusterIPsCheck}`,
    ]),
    base('filter-output', 'filter', 'output', DSTNAT - 10, [
      `ct state new jump ${NAMES.serviceEndpointsCheck}`,
      `ct state new jump ${NAMES.firewallCheck}`,
    ]),
    base('filter-output-post-dnat', 'filter', 'output', DSTNAT + 10, [
      `ct state new jump ${NAMES.clusterIPsCheck}`,
    ]),
    base('nat-prerouting', 'nat', 'prerouting', DSTNAT, [`jump ${NAMES.services}`]),
    base('nat-output', 'nat', 'output', DSTNAT, [`jump ${NAMES.services}`]),
    base('nat-postrouting', 'nat', 'postrouting', SRCNAT, [`jump ${NAMES.masquerading}`]),
    {
      name: NAMES.services,
      rules: [
        `${dispatchKey} vmap @${NAMES.serviceIPs}`,
        matchAll
          ? `fib daddr type local ${noLocalhost} meta l4proto . th dport vmap @${NAMES.serviceNodePorts}`
          : `${ipX} daddr @${NAMES.nodePortIPs} meta l4proto . th dport vmap @${NAMES.serviceNodePorts}`,
      ],
    },
    {
      name: NAMES.serviceEndpointsCheck,
      rules: [`${dispatchKey} vmap @${NAMES.noEndpointServices}`],
    },
    {
      name: NAMES.nodePortEndpointsCheck,
      rules: [
        matchAll
          ? `${noLocalhost} meta l4proto . th dport vmap @${NAMES.noEndpointNodePorts}`
          : `${ipX} daddr @${NAMES.nodePortIPs} meta l4proto . th dport vmap @${NAMES.noEndpointNodePorts}`,
      ],
    },
    {
      name: NAMES.reject,
      comment: 'helper for @no-endpoint-services / @no-endpoint-nodeports',
      // A TCP client gets a reset (connection refused at once), anything else port-unreachable.
      rules: ['meta l4proto tcp reject with tcp reset', 'reject'],
    },
    { name: NAMES.firewallCheck, rules: [`${dispatchKey} vmap @${NAMES.firewallIPs}`] },
    {
      name: NAMES.clusterIPsCheck,
      rules: [
        `${ipX} daddr @${NAMES.clusterIPs} reject comment "Reject traffic to invalid ports of ClusterIPs"`,
        ...(opts.serviceCIDRs.length > 0
          ? [
              `${ipX} daddr { ${opts.serviceCIDRs.join(', ')} } drop comment "Drop traffic to unallocated ClusterIPs"`,
            ]
          : []),
      ],
    },
    { name: NAMES.markMasq, rules: [`mark set mark or ${mark}`] },
    {
      name: NAMES.masquerading,
      rules: [
        `mark and ${mark} == 0 return`,
        `mark set mark xor ${mark}`,
        'masquerade fully-random',
      ],
    },
  ];

  const serviceKeyType = `${addrType} . inet_proto . inet_service : verdict`;
  const sets: SetSpec[] = [
    { name: NAMES.clusterIPs, map: false, type: addrType, comment: 'Active ClusterIPs' },
    ...(matchAll
      ? []
      : [
          {
            name: NAMES.nodePortIPs,
            map: false,
            type: addrType,
            comment: 'IPs that accept NodePort traffic',
          },
        ]),
    {
      name: NAMES.noEndpointServices,
      map: true,
      type: serviceKeyType,
      comment: 'vmap to drop or reject packets to services with no endpoints',
    },
    {
      name: NAMES.noEndpointNodePorts,
      map: true,
      type: 'inet_proto . inet_service : verdict',
      comment: 'vmap to drop or reject packets to service nodeports with no endpoints',
    },
    {
      name: NAMES.firewallIPs,
      map: true,
      type: serviceKeyType,
      comment: 'destinations that are subject to LoadBalancerSourceRanges',
    },
    {
      name: NAMES.serviceIPs,
      map: true,
      type: serviceKeyType,
      comment: 'ClusterIP, ExternalIP and LoadBalancer IP traffic',
    },
    {
      name: NAMES.serviceNodePorts,
      map: true,
      type: 'inet_proto . inet_service : verdict',
      comment: 'NodePort traffic',
    },
  ];

  const elements: ElementSpec[] = matchAll
    ? []
    : (opts.nodePortIPs as string[])
        .filter((ip) => !isLoopback(ip))
        .map((ip) => ({ set: NAMES.nodePortIPs, key: ip }));

  const fingerprint = JSON.stringify({ family: ipX, chains, sets, elements });
  return { family: ipX, chains, sets, elements, fingerprint };
}

function base(
  name: string,
  type: 'filter' | 'nat',
  hook: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting',
  priority: number,
  rules: string[],
): ChainSpec {
  return { name, hook: { type, hook, priority }, rules };
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}
