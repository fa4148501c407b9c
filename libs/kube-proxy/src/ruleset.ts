// The desired content of the kube-proxy table as data: fixed chains, sets and maps (the base) plus
// what each Service port adds. Transactions are computed from two of these.
import type { IPFamily } from './ip';

export const TABLE = 'kube-proxy';

export type NftFamily = 'ip' | 'ip6';

export function nftFamily(family: IPFamily): NftFamily {
  return family === 'ipv4' ? 'ip' : 'ip6';
}

export interface BaseChainHook {
  type: 'filter' | 'nat';
  hook: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
  /** Numeric: nft 1.0.6 refuses named priorities such as "dstnat" in some hooks. */
  priority: number;
}

export interface ChainSpec {
  name: string;
  hook?: BaseChainHook;
  comment?: string;
  /** Rule bodies, in order, without the "add rule <table> <chain>" prefix. */
  rules: string[];
}

export interface SetSpec {
  name: string;
  /** A map has a value type after ":" in `type`. */
  map: boolean;
  type: string;
  flags?: string[];
  timeoutSeconds?: number;
  comment?: string;
}

export interface ElementSpec {
  set: string;
  /** nft syntax, e.g. "10.96.0.10 . udp . 53". */
  key: string;
  /** nft syntax of a map value, e.g. "goto service-...". Absent for plain sets. */
  value?: string;
  comment?: string;
}

/** The part of the table that does not depend on any Service. */
export interface BaseRuleset {
  family: NftFamily;
  chains: ChainSpec[];
  sets: SetSpec[];
  elements: ElementSpec[];
  /** Equal fingerprints mean equal bases: a change of base needs a full sync. */
  fingerprint: string;
}

/** What one Service port adds to the table; every name in it is its own. */
export interface ServicePortRules {
  /** The ServicePortName ("ns/name:port") with the protocol: unique per Service port. */
  key: string;
  serviceKey: string;
  /** "port http (80/tcp)", for messages. */
  label: string;
  chains: Map<string, string[]>;
  elements: ElementSpec[];
  /** Affinity set name → timeout in seconds. */
  affinitySets: Map<string, number>;
  /** For kubeproxy_sync_proxy_rules_no_local_endpoints_total. */
  noLocalEndpoints: { internal: boolean; external: boolean };
  /** UDP ports only: what stale conntrack entries would point at (not part of the table). */
  udp?: UdpConntrackView;
}

export interface UdpConntrackView {
  /** ClusterIP, external IPs and load-balancer IPs. */
  serviceIPs: string[];
  port: number;
  nodePort: number;
  /** Endpoints this node may DNAT to. */
  endpointIPs: string[];
}

/** Element keys of plain sets may be wanted by several Service ports (all ports of a Service share
 *  its ClusterIP); a map key belongs to one. */
export function isSharedElement(el: ElementSpec): boolean {
  return el.value === undefined;
}

export function elementId(el: ElementSpec): string {
  return `${el.set} ${el.key}`;
}
