// What one Service port adds to the table, following Kubernetes' nftables proxy: map elements that
// send its addresses to per-Service chains, policy chains that pick an endpoint at random, and one
// chain per endpoint that marks hairpin traffic for masquerade, records affinity and DNATs.
import { categorizeEndpoints } from './categorize';
import {
  AFFINITY_SET_PREFIX,
  CHAIN_PREFIX,
  endpointNameBase,
  servicePortNameBase,
} from './chain-names';
import type { EndpointInfo } from './endpoints';
import { cidrContains, parseCidr } from './ip';
import { NAMES } from './render-base';
import type { RenderOptions } from './render-options';
import { ElementSpec, ServicePortRules, nftFamily } from './ruleset';
import {
  ServicePortInfo,
  externallyAccessible,
  usesClusterEndpoints,
  usesLocalEndpoints,
} from './service-ports';

export function renderServicePort(
  sp: ServicePortInfo,
  endpoints: readonly EndpointInfo[],
  opts: RenderOptions,
): ServicePortRules {
  const ipX = nftFamily(opts.family);
  const proto = sp.protocol;
  const base = servicePortNameBase(sp);
  const { cluster, local, reachable, hasAny } = categorizeEndpoints(sp, endpoints);
  const chains = new Map<string, string[]>();
  const elements: ElementSpec[] = [];
  const affinitySets = new Map<string, number>();
  const chain = (name: string) => {
    let rules = chains.get(name);
    if (!rules) chains.set(name, (rules = []));
    return rules;
  };

  const epChain = (ep: EndpointInfo) => CHAIN_PREFIX.endpoint + endpointNameBase(sp, ep);
  const epAffinitySet = (ep: EndpointInfo) => AFFINITY_SET_PREFIX + endpointNameBase(sp, ep);
  // Endpoint chains first, so that a reader of the table sees targets before their users.
  for (const ep of reachable) chain(epChain(ep));

  const clusterChain = CHAIN_PREFIX.cluster + base;
  const usesClusterChain = cluster.length > 0 && usesClusterEndpoints(sp);
  if (usesClusterChain) chain(clusterChain);
  const localChain = CHAIN_PREFIX.local + base;
  const usesLocalChain = local.length > 0 && usesLocalEndpoints(sp);
  if (usesLocalChain) chain(localChain);

  const internalChain = sp.internalPolicyLocal ? localChain : clusterChain;
  const hasInternal = sp.internalPolicyLocal ? local.length > 0 && hasAny : hasAny;
  const externalPolicyChain = sp.externalPolicyLocal ? localChain : clusterChain;
  const hasExternal = sp.externalPolicyLocal ? local.length > 0 && hasAny : hasAny;
  const externalChain = CHAIN_PREFIX.external + base;
  // Needed even without external endpoints: it holds the short-circuit rules for local traffic.
  const usesExternalChain = hasAny && externallyAccessible(sp);
  if (usesExternalChain) chain(externalChain);

  const reject = `goto ${NAMES.reject}`;
  const internalVerdict = hasAny ? 'drop' : reject;
  const externalVerdict = hasAny ? 'drop' : reject;
  const comment = sp.name;
  const key = (ip: string) => `${ip} . ${proto} . ${sp.port}`;

  elements.push({ set: NAMES.clusterIPs, key: sp.clusterIP });
  if (hasInternal) {
    elements.push({
      set: NAMES.serviceIPs,
      key: key(sp.clusterIP),
      value: `goto ${internalChain}`,
    });
  } else {
    elements.push({
      set: NAMES.noEndpointServices,
      key: key(sp.clusterIP),
      value: internalVerdict,
      comment,
    });
  }

  for (const ip of sp.externalIPs) {
    if (hasAny)
      elements.push({ set: NAMES.serviceIPs, key: key(ip), value: `goto ${externalChain}` });
    if (!hasExternal)
      elements.push({
        set: NAMES.noEndpointServices,
        key: key(ip),
        value: externalVerdict,
        comment,
      });
  }

  const firewallChain = CHAIN_PREFIX.firewall + base;
  const usesFirewall = sp.loadBalancerIPs.length > 0 && sp.loadBalancerSourceRanges.length > 0;
  if (usesFirewall) chain(firewallChain);
  for (const ip of sp.loadBalancerIPs) {
    if (hasAny)
      elements.push({ set: NAMES.serviceIPs, key: key(ip), value: `goto ${externalChain}` });
    if (usesFirewall)
      elements.push({
        set: NAMES.firewallIPs,
        key: key(ip),
        value: `goto ${firewallChain}`,
        comment,
      });
  }
  if (!hasExternal) {
    for (const ip of sp.loadBalancerIPs) {
      elements.push({
        set: NAMES.noEndpointServices,
        key: key(ip),
        value: externalVerdict,
        comment,
      });
    }
  }

  if (sp.nodePort !== 0) {
    const npKey = `${proto} . ${sp.nodePort}`;
    // NodePorts are not subject to loadBalancerSourceRanges (as in Kubernetes).
    if (hasAny)
      elements.push({ set: NAMES.serviceNodePorts, key: npKey, value: `goto ${externalChain}` });
    if (!hasExternal)
      elements.push({
        set: NAMES.noEndpointNodePorts,
        key: npKey,
        value: externalVerdict,
        comment,
      });
  }

  const masq = `jump ${NAMES.markMasq}`;
  if (hasInternal) {
    const match = `${ipX} daddr ${sp.clusterIP} ${proto} dport ${sp.port}`;
    if (opts.masqueradeAll) {
      chain(internalChain).push(`${match} ${masq}`);
    } else if (opts.clusterCIDR) {
      // Traffic from outside the pod network (a route to the Service range via this node) may
      // leave the node again after DNAT: masquerade so that the answer comes back here.
      chain(internalChain).push(`${match} ${ipX} saddr != ${opts.clusterCIDR} ${masq}`);
    }
  }

  if (usesExternalChain) {
    const ext = chain(externalChain);
    if (!sp.externalPolicyLocal) {
      // The endpoint may be on another node: masquerade so that the answer comes back here.
      ext.push(masq);
    } else {
      if (opts.clusterCIDR) {
        ext.push(
          `${ipX} saddr ${opts.clusterCIDR} goto ${clusterChain} comment "short-circuit pod traffic"`,
        );
      }
      // The node itself reaching an external address: its source is local, so it must be
      // masqueraded and may use any endpoint.
      ext.push(`fib saddr type local ${masq} comment "masquerade local traffic"`);
      ext.push(`fib saddr type local goto ${clusterChain} comment "short-circuit local traffic"`);
    }
    if (hasExternal) ext.push(`goto ${externalPolicyChain}`);
  }

  if (usesFirewall) {
    const sources = [...sp.loadBalancerSourceRanges];
    // A load balancer that loops node traffic back arrives with the LB IP as source.
    const nodeInRange = opts.nodeIPs.some((ip) =>
      sp.loadBalancerSourceRanges.some((r) => cidrTextContains(r, ip)),
    );
    if (nodeInRange) sources.push(...sp.loadBalancerIPs);
    chain(firewallChain).push(`${ipX} saddr != { ${sources.join(', ')} } drop`);
  }

  const affinity = sp.affinityTimeoutSeconds > 0;
  if (affinity)
    for (const ep of reachable) affinitySets.set(epAffinitySet(ep), sp.affinityTimeoutSeconds);

  const balance = (chainName: string, eps: readonly EndpointInfo[]) => {
    const rules = chain(chainName);
    if (affinity)
      for (const ep of eps) rules.push(`${ipX} saddr @${epAffinitySet(ep)} goto ${epChain(ep)}`);
    const targets = eps.map((ep, i) => `${i} : goto ${epChain(ep)}`).join(', ');
    rules.push(`numgen random mod ${eps.length} vmap { ${targets} }`);
  };
  if (usesClusterChain) balance(clusterChain, cluster);
  if (usesLocalChain) balance(localChain, local);

  for (const ep of reachable) {
    const rules = chain(epChain(ep));
    // Hairpin: a pod reaching itself through the Service must see the answer come from the
    // Service address, which needs its source rewritten too.
    rules.push(`${ipX} saddr ${ep.ip} ${masq}`);
    if (affinity) rules.push(`update @${epAffinitySet(ep)} { ${ipX} saddr }`);
    rules.push(`meta l4proto ${proto} dnat to ${ep.address}`);
  }

  return {
    key: `${sp.name}/${proto}`,
    serviceKey: sp.serviceKey,
    label: sp.portName ? `port ${sp.portName} (${sp.port}/${proto})` : `port ${sp.port}/${proto}`,
    chains,
    elements,
    affinitySets,
    noLocalEndpoints: {
      internal: hasAny && sp.internalPolicyLocal && local.length === 0,
      external: hasAny && sp.externalPolicyLocal && local.length === 0,
    },
    udp:
      proto === 'udp'
        ? {
            serviceIPs: [sp.clusterIP, ...sp.externalIPs, ...sp.loadBalancerIPs],
            port: sp.port,
            nodePort: sp.nodePort,
            endpointIPs: [...new Set(reachable.map((ep) => ep.ip))],
          }
        : undefined,
  };
}

function cidrTextContains(cidr: string, ip: string): boolean {
  const parsed = parseCidr(cidr, { strict: false });
  return parsed !== undefined && cidrContains(parsed, ip);
}
