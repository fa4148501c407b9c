import type { ConfState } from '@flotilla/raft';
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
    // The etcd port serves TLS in the secure mode: `etcdctl member list` shows where to dial.
    const scheme = config.security?.mode === 'secure' ? 'https' : 'http';
    this.self.clientUrls = [`${scheme}://${hostPort(config.advertiseHost, config.etcdPort)}`];
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

  /** The name a member added by peer URL alone (etcdctl member add) gets. */
  static nameForPeerUrl(peerUrl: string): string {
    return `member-${fnv64(peerUrl).toString(16).padStart(16, '0').slice(0, 8)}`;
  }

  byPeerUrl(peerUrl: string): MemberAddress | undefined {
    for (const m of this.members.values()) if (m.peerUrl === peerUrl) return m;
    return undefined;
  }

  /**
   * Follows the replicated configuration: members added at run time bring their peer URL in it.
   * Returns who appeared (with an address to dial) and who left.
   */
  sync(conf: ConfState): { added: MemberAddress[]; removed: string[] } {
    const added: MemberAddress[] = [];
    const current = new Set([...conf.voters, ...conf.learners]);
    for (const [name, url] of Object.entries(conf.addresses ?? {})) {
      if (this.members.has(name) || !current.has(name)) continue;
      const m: MemberAddress = { name, id: fnv64(name), peerUrl: url, clientUrls: [] };
      this.members.set(name, m);
      added.push(m);
    }
    const removed = [...this.members.keys()].filter(
      (n) => !current.has(n) && n !== this.self.name && this.wasMember.has(n),
    );
    for (const n of current) this.wasMember.add(n);
    return { added, removed };
  }

  private readonly wasMember = new Set<string>();
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
