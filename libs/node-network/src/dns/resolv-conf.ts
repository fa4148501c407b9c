// resolv.conf in both directions: the node's (where names outside the cluster are forwarded) and
// the one the kubelet writes into each pod (dnsPolicy ClusterFirst).
import { parseIP } from '@flotilla/kube-proxy';

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0] && parseIP(rest[0]))
      out.nameservers.push(parseIP(rest[0])!.ip);
    else if (key === 'search' || key === 'domain') out.search = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

/**
 * What a pod with dnsPolicy ClusterFirst gets: the cluster DNS address, the search path that
 * makes "web" and "web.demo" resolve from namespace `namespace`, and ndots:5 so that names with
 * fewer dots try the search path first.
 */
export function podResolvConf(dnsIP: string, namespace: string, zone = 'cluster.local'): string {
  return [
    `nameserver ${dnsIP}`,
    `search ${namespace}.svc.${zone} svc.${zone} ${zone}`,
    'options ndots:5',
    '',
  ].join('\n');
}
