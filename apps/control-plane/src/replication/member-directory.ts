import type { ControlPlaneConfig } from '../config/control-plane-config';

/** etcd identifies members and clusters by uint64; ours are derived from names (FNV-1a, 64 bit). */
export function fnv64(text: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

export interface MemberAddress {
  name: string;
  id: bigint;
  peerUrl: string;
  clientUrls: string[];
}

/**
 * Who the members are and where they listen: the peer URLs from the configuration, the client
 * URLs as each member announced them when it connected.
 */
export class MemberDirectory {
  readonly clusterId: bigint;
  readonly self: MemberAddress;
  private readonly members = new Map<string, MemberAddress>();

  constructor(config: ControlPlaneConfig) {
    this.clusterId = fnv64(
      `${config.clusterToken}/${config.peers
        .map((p) => p.name)
        .sort()
        .join(',')}`,
    );
    for (const p of config.peers) {
      this.members.set(p.name, {
        name: p.name,
        id: fnv64(p.name),
        peerUrl: `http://${hostPort(p.host, p.port)}`,
        clientUrls: [],
      });
    }
    this.self = this.members.get(config.name)!;
    this.self.clientUrls = [`http://${hostPort(config.advertiseHost, config.etcdPort)}`];
  }

  get(name: string): MemberAddress | undefined {
    return this.members.get(name);
  }

  byId(id: bigint): MemberAddress | undefined {
    for (const m of this.members.values()) if (m.id === id) return m;
    return undefined;
  }

  setClientUrls(name: string, urls: string[]): void {
    const m = this.members.get(name);
    if (m) m.clientUrls = urls;
  }

  /** ws:// URL of a member's Raft endpoint. */
  wsUrl(name: string): string {
    return this.members.get(name)!.peerUrl.replace(/^http/, 'ws') + '/raft';
  }

  names(): string[] {
    return [...this.members.keys()];
  }
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
