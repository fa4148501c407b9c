// host-gw: every other node's pod range is reached through that node's own address, so pod
// traffic crosses nodes unencapsulated (the nodes must share a link, as the workers on the fabric
// bridge do). Our routes carry their own protocol number, so they are told apart from any other.
import type { CommandRunner, Node } from '@flotilla/kube-proxy';
import { IPFamily, parseCidr, parseIP } from '@flotilla/kube-proxy';

/** The routing protocol number our routes carry (`ip route ... proto 213`). */
export const ROUTE_PROTOCOL = 213;

export interface PodRoute {
  /** The other node's pod range. */
  dst: string;
  /** The other node's address. */
  via: string;
  family: IPFamily;
  node: string;
}

/** The node's InternalIP of a family (the first one), else undefined. */
export function nodeInternalIP(node: Node, family: IPFamily): string | undefined {
  for (const a of node.status?.addresses ?? []) {
    if (a.type !== 'InternalIP') continue;
    const ip = parseIP(a.address);
    if (ip?.family === family) return ip.ip;
  }
  return undefined;
}

export function nodePodCIDRs(node: Node): string[] {
  const spec = node.spec ?? {};
  const list = spec.podCIDRs?.length ? spec.podCIDRs : spec.podCIDR ? [spec.podCIDR] : [];
  return list.map((c) => parseCidr(c)?.text).filter((c): c is string => c !== undefined);
}

/** Routes to the pod ranges of every node but `self`, sorted by destination. */
export function desiredRoutes(nodes: Iterable<Node>, self: string): PodRoute[] {
  const routes: PodRoute[] = [];
  const taken = new Set<string>();
  const sorted = [...nodes].sort((a, b) =>
    (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
  for (const node of sorted) {
    const name = node.metadata.name ?? '';
    if (name === self || node.metadata.deletionTimestamp) continue;
    for (const dst of nodePodCIDRs(node)) {
      const family = parseCidr(dst)!.family;
      const via = nodeInternalIP(node, family);
      if (!via || taken.has(dst)) continue;
      taken.add(dst);
      routes.push({ dst, via, family, node: name });
    }
  }
  return routes.sort((a, b) => a.dst.localeCompare(b.dst));
}

export interface RouteDiff {
  /** New or changed (`ip route replace`). */
  replace: PodRoute[];
  /** Ours, but no node wants them any more. */
  remove: { dst: string; family: IPFamily }[];
}

export function diffRoutes(
  current: readonly { dst: string; via: string }[],
  desired: readonly PodRoute[],
): RouteDiff {
  const have = new Map(current.map((r) => [r.dst, r.via]));
  const want = new Set(desired.map((r) => r.dst));
  return {
    replace: desired.filter((r) => have.get(r.dst) !== r.via),
    remove: current
      .filter((r) => !want.has(r.dst))
      .map((r) => ({ dst: r.dst, family: parseCidr(r.dst, { strict: false })?.family ?? 'ipv4' })),
  };
}

/** Lists and changes our routes with iproute2. */
export class IpRouteApplier {
  constructor(private readonly runner: CommandRunner) {}

  async list(family: IPFamily): Promise<{ dst: string; via: string }[]> {
    const r = await this.runner.run('ip', [
      '-j',
      family === 'ipv4' ? '-4' : '-6',
      'route',
      'show',
      'proto',
      String(ROUTE_PROTOCOL),
    ]);
    if (r.code !== 0) throw new Error(`ip route show failed: ${r.stderr.trim()}`);
    const parsed = JSON.parse(r.stdout || '[]') as { dst?: string; gateway?: string }[];
    return parsed
      .filter((x) => x.dst && x.gateway)
      .map((x) => ({
        dst: x.dst!.includes('/') ? x.dst! : `${x.dst}/${family === 'ipv4' ? 32 : 128}`,
        via: x.gateway!,
      }));
  }

  /** Applies a diff; each route on its own, so one bad route does not stop the others. */
  async apply(diff: RouteDiff): Promise<string[]> {
    const errors: string[] = [];
    for (const r of diff.replace) {
      const res = await this.runner.run('ip', [
        'route',
        'replace',
        r.dst,
        'via',
        r.via,
        'proto',
        String(ROUTE_PROTOCOL),
      ]);
      if (res.code !== 0)
        errors.push(`route to ${r.dst} via ${r.via} (node ${r.node}): ${res.stderr.trim()}`);
    }
    for (const r of diff.remove) {
      const res = await this.runner.run('ip', [
        'route',
        'del',
        r.dst,
        'proto',
        String(ROUTE_PROTOCOL),
      ]);
      if (res.code !== 0 && !/No such process/.test(res.stderr))
        errors.push(`removing route to ${r.dst}: ${res.stderr.trim()}`);
    }
    return errors;
  }
}
