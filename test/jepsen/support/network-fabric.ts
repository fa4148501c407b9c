// Each cluster member in its own network namespace, all on one bridge, so a partition is a rule on
// addresses. Why namespaces and not nftables on loopback ports: on loopback every member shares
// 127.0.0.1, and the connection a member dials comes from an ephemeral port, so no port rule can
// tell whose it is without changing how the masters dial. In a namespace each member has its own
// address, a drop rule cuts exactly the member-to-member traffic in both directions (as a real
// network fault does), the harness keeps talking to every member, and deleting the namespaces
// takes every rule with them.
//
// Layout (P = harness pid, N = fabric number in this process):
//   fjP-N-fab      namespace holding bridge br0; its own (empty) firewall, so bridged traffic is
//                  never filtered by the host's (Docker's FORWARD policy, br_netfilter)
//   fjP-N-<name>   one per member: eth0 = 10.A.B.(11+i)/24 on br0, lo up, nft table inet jepsen
//   fjPhN          host end of a veth into br0, 10.A.B.1/24: how the harness reaches the members
import { run, runSync } from './command';
import { isAlive } from './processes';

const PREFIX = 'fj';
const TABLE = 'jepsen';

/** Private /24s this suite draws from (10.231.x is taken by other local fabrics). */
const SUBNET_SECOND_OCTETS = [241, 242, 243, 244, 245, 246, 247, 248, 249];

export interface FabricMember {
  name: string;
  netns: string;
  address: string;
}

let fabricsMade = 0;

export class NetworkFabric {
  private destroyed = false;
  private readonly exitHook = (): void => this.destroySync();

  private constructor(
    readonly id: string,
    readonly hostLink: string,
    readonly hostAddress: string,
    private readonly fabricNs: string,
    private readonly members: Map<string, FabricMember>,
  ) {
    process.once('exit', this.exitHook);
  }

  /** Builds the namespaces, the bridge and the links; every member starts fully connected. */
  static async create(names: readonly string[]): Promise<NetworkFabric> {
    sweepStaleFabrics();
    const id = `${PREFIX}${process.pid}-${fabricsMade++}`;
    const hostLink = `${PREFIX}${process.pid}h${fabricsMade - 1}`;
    const subnet = await freeSubnet();
    const members = new Map<string, FabricMember>();
    names.forEach((name, i) =>
      members.set(name, { name, netns: `${id}-${name}`, address: `${subnet}.${11 + i}` }),
    );
    const fabric = new NetworkFabric(id, hostLink, `${subnet}.1`, `${id}-fab`, members);
    try {
      await fabric.build();
    } catch (err) {
      await fabric.destroy();
      throw err;
    }
    return fabric;
  }

  member(name: string): FabricMember {
    const m = this.members.get(name);
    if (!m) throw new Error(`no member ${name} in fabric ${this.id}`);
    return m;
  }

  get names(): string[] {
    return [...this.members.keys()];
  }

  /** The command line that runs `command` inside a member's namespace (exec'd: same pid). */
  inNamespace(name: string, command: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', this.member(name).netns, ...command];
  }

  /**
   * Cuts every link between members of different groups; members not named in any group keep
   * all their links. Replaces the previous partition (heal is `partition([])`).
   */
  async partition(groups: readonly (readonly string[])[]): Promise<void> {
    const groupOf = new Map<string, number>();
    groups.forEach((g, i) => g.forEach((name) => groupOf.set(name, i)));
    await Promise.all(
      [...this.members.values()].map((m) => {
        const mine = groupOf.get(m.name);
        const cut = [...this.members.values()].filter((other) => {
          const theirs = groupOf.get(other.name);
          return mine !== undefined && theirs !== undefined && mine !== theirs;
        });
        return this.setCut(m, cut);
      }),
    );
  }

  /** Cuts exactly these member-to-member links (both directions); the others stay up. */
  async cutLinks(links: readonly (readonly [string, string])[]): Promise<void> {
    const cut = new Map<string, FabricMember[]>([...this.members.keys()].map((n) => [n, []]));
    for (const [a, b] of links) {
      cut.get(a)!.push(this.member(b));
      cut.get(b)!.push(this.member(a));
    }
    await Promise.all([...this.members.values()].map((m) => this.setCut(m, cut.get(m.name)!)));
  }

  async heal(): Promise<void> {
    await this.partition([]);
  }

  /** Deletes the namespaces (and with them the bridge, the links and every rule). */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    process.removeListener('exit', this.exitHook);
    for (const ns of this.namespaces())
      await run(['ip', 'netns', 'del', ns]).catch(() => undefined);
    await run(['ip', 'link', 'del', this.hostLink]).catch(() => undefined);
  }

  /** The same, synchronously: for process exit, where nothing asynchronous runs any more. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const ns of this.namespaces()) tryQuietly(() => runSync(['ip', 'netns', 'del', ns]));
    tryQuietly(() => runSync(['ip', 'link', 'del', this.hostLink]));
  }

  private namespaces(): string[] {
    return [...[...this.members.values()].map((m) => m.netns), this.fabricNs];
  }

  private async build(): Promise<void> {
    const fab = this.fabricNs;
    await run(['ip', 'netns', 'add', fab]);
    await run(['ip', '-n', fab, 'link', 'add', 'br0', 'type', 'bridge']);
    await run(['ip', '-n', fab, 'link', 'set', 'br0', 'up']);
    await run([
      'ip',
      'link',
      'add',
      this.hostLink,
      'type',
      'veth',
      'peer',
      'name',
      'host',
      'netns',
      fab,
    ]);
    await run(['ip', 'addr', 'add', `${this.hostAddress}/24`, 'dev', this.hostLink]);
    await run(['ip', 'link', 'set', this.hostLink, 'up']);
    await run(['ip', '-n', fab, 'link', 'set', 'host', 'master', 'br0', 'up']);
    for (const m of this.members.values()) {
      await run(['ip', 'netns', 'add', m.netns]);
      await run([
        'ip',
        'link',
        'add',
        'eth0',
        'netns',
        m.netns,
        'type',
        'veth',
        'peer',
        'name',
        m.name,
        'netns',
        fab,
      ]);
      await run(['ip', '-n', m.netns, 'addr', 'add', `${m.address}/24`, 'dev', 'eth0']);
      await run(['ip', '-n', m.netns, 'link', 'set', 'eth0', 'up']);
      await run(['ip', '-n', m.netns, 'link', 'set', 'lo', 'up']);
      await run(['ip', '-n', fab, 'link', 'set', m.name, 'master', 'br0', 'up']);
      await run(['ip', 'netns', 'exec', m.netns, 'nft', '-f', '-'], { input: cutTable() });
    }
  }

  private async setCut(m: FabricMember, cut: readonly FabricMember[]): Promise<void> {
    const elements = cut.map((c) => c.address).join(', ');
    const script =
      `flush set inet ${TABLE} cut\n` +
      (elements ? `add element inet ${TABLE} cut { ${elements} }\n` : '');
    await run(['ip', 'netns', 'exec', m.netns, 'nft', '-f', '-'], { input: script });
  }
}

/** Drops inbound and outbound packets of the addresses in set `cut`; empty set: no effect. */
function cutTable(): string {
  return `table inet ${TABLE} {
  set cut { type ipv4_addr; }
  chain input { type filter hook input priority 0; policy accept; ip saddr @cut drop; }
  chain output { type filter hook output priority 0; policy accept; ip daddr @cut drop; }
}
`;
}

/** A 10.A.B prefix no route of this host uses yet. */
async function freeSubnet(): Promise<string> {
  const routes = await run(['ip', '-4', 'route', 'show', 'table', 'all']);
  for (let attempt = 0; attempt < 64; attempt++) {
    const a = SUBNET_SECOND_OCTETS[Math.floor(Math.random() * SUBNET_SECOND_OCTETS.length)];
    const b = Math.floor(Math.random() * 256);
    const prefix = `10.${a}.${b}`;
    if (!routes.includes(`${prefix}.`)) return prefix;
  }
  throw new Error('no free 10.x.y.0/24 for the Jepsen fabric');
}

/**
 * Deletes what an earlier run left behind when it was killed before its teardown: namespaces and
 * host links named after a harness pid that no longer runs, and any process still inside them.
 */
export function sweepStaleFabrics(): void {
  const owner = (name: string): number | undefined => {
    const m = new RegExp(`^${PREFIX}(\\d+)[-h]`).exec(name);
    return m ? Number(m[1]) : undefined;
  };
  const stale = (name: string): boolean => {
    const pid = owner(name);
    return pid !== undefined && pid !== process.pid && !isAlive(pid);
  };
  const namespaces = runSync(['ip', 'netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0])
    .filter((name) => name && stale(name));
  for (const ns of namespaces) {
    const pids = tryQuietly(() => runSync(['ip', 'netns', 'pids', ns])) ?? '';
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
      tryQuietly(() => process.kill(Number(pid), 'SIGKILL'));
    }
    tryQuietly(() => runSync(['ip', 'netns', 'del', ns]));
  }
  const links = runSync(['ip', '-o', 'link', 'show'])
    .split('\n')
    .map((line) => /^\d+:\s+([^@:\s]+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && stale(name));
  for (const link of links) tryQuietly(() => runSync(['ip', 'link', 'del', link]));
}

function tryQuietly<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
