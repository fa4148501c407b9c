// The CNI network of one worker: a bridge with the node's pod range (host-local IPAM, its own data
// directory), hostPort through portmap, and loopback. Pods reach other nodes' ranges through the
// routes of the worker's namespace.

export interface CniConfigInput {
  /** Unique per worker: libcni keeps its cache in /var/lib/cni/results/<name>-... for all of them. */
  networkName: string;
  podCidr: string;
  ipamDataDir: string;
  bridge?: string;
}

export function renderCniConflist(input: CniConfigInput): string {
  const config = {
    cniVersion: '1.0.0',
    name: input.networkName,
    plugins: [
      {
        type: 'bridge',
        bridge: input.bridge ?? 'cni0',
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          dataDir: input.ipamDataDir,
          ranges: [[{ subnet: input.podCidr }]],
          routes: [{ dst: '0.0.0.0/0' }],
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      { type: 'loopback' },
    ],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
