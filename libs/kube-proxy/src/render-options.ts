import type { IPFamily } from './ip';

/** What the renderer needs to know about the node and the flags, for one IP family. */
export interface RenderOptions {
  family: IPFamily;
  /** This node's name: endpoints with this nodeName are local. */
  nodeName: string;
  /** This node's primary addresses in this family (LoadBalancerSourceRanges lets them in). */
  nodeIPs: string[];
  /** Addresses that accept NodePort traffic, or 'all' for every local address but loopback. */
  nodePortIPs: string[] | 'all';
  /** The pods' address range in this family: traffic from elsewhere to a ClusterIP is
   *  masqueraded, pod traffic to a Local external address short-circuits. Unset: no detection. */
  clusterCIDR?: string;
  /** Service ranges of this family: traffic to an unallocated ClusterIP there is dropped. */
  serviceCIDRs: string[];
  /** Masquerade all traffic to ClusterIPs (--masquerade-all). */
  masqueradeAll: boolean;
  /** The bit of the packet mark that asks for masquerade (--masquerade-bit, 0-31). */
  masqueradeBit: number;
}

export const DEFAULT_MASQUERADE_BIT = 14;

export function masqueradeMark(bit: number): string {
  return `0x${(2 ** bit).toString(16).padStart(8, '0')}`;
}
