import type { Node } from '@flotilla/kube-proxy';

/** A Node with a pod range (or none) and an InternalIP. */
export function node(
  name: string,
  podCIDR: string | undefined,
  ip: string,
  extra: Partial<Node> = {},
): Node {
  return {
    metadata: { name },
    spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {},
    status: {
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: name },
      ],
    },
    ...extra,
  };
}
