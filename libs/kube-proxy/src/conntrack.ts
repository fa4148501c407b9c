// UDP has no connection to close: a conntrack entry keeps sending a client's datagrams to the
// endpoint it first chose, even after that endpoint is gone, until the entry times out. After a
// sync, entries that point at removed endpoints are deleted, and so are entries to Service
// addresses that had no endpoint (their datagrams were not DNATed and would stay so).
import type { CommandRunner } from './command-runner';
import type { DesiredState } from './desired-state';
import type { UdpConntrackView } from './ruleset';

/** Arguments of one `conntrack -D`. */
export type ConntrackDeletion = string[];

export function staleUdpDeletions(
  prev: DesiredState | undefined,
  next: DesiredState,
  /** The Service ports that may differ; absent: all of them. */
  changed?: Iterable<string>,
): ConntrackDeletion[] {
  const out: ConntrackDeletion[] = [];
  const seen = new Set<string>();
  const push = (args: string[]) => {
    const id = args.join(' ');
    if (!seen.has(id)) {
      seen.add(id);
      out.push(args);
    }
  };
  const keys = changed ?? new Set([...(prev?.services.keys() ?? []), ...next.services.keys()]);
  const removed: [UdpConntrackView, UdpConntrackView | undefined][] = [];
  const added: [UdpConntrackView, UdpConntrackView | undefined][] = [];
  for (const key of keys) {
    const old = prev?.services.get(key)?.udp;
    const neu = next.services.get(key)?.udp;
    if (old && neu !== old) removed.push([old, neu]);
    if (neu) added.push([neu, old]);
  }
  for (const [old, neu] of removed) {
    const kept = new Set(neu?.endpointIPs ?? []);
    for (const ep of old.endpointIPs) {
      if (kept.has(ep)) continue;
      for (const ip of old.serviceIPs) push(['-p', 'udp', '--orig-dst', ip, '--dst-nat', ep]);
      if (old.nodePort)
        push(['-p', 'udp', '--orig-port-dst', String(old.nodePort), '--dst-nat', ep]);
    }
  }
  for (const [neu, old] of added) {
    if (neu.endpointIPs.length === 0 || (old && old.endpointIPs.length > 0)) continue;
    for (const ip of neu.serviceIPs)
      push(['-p', 'udp', '--orig-dst', ip, '--orig-port-dst', String(neu.port)]);
    if (neu.nodePort) push(['-p', 'udp', '--orig-port-dst', String(neu.nodePort)]);
  }
  return out;
}

/** Runs the deletions; "0 flow entries" is not a failure. Returns the ones that failed. */
export async function deleteConntrackEntries(
  runner: CommandRunner,
  deletions: readonly ConntrackDeletion[],
  family: 'ipv4' | 'ipv6',
): Promise<{ args: ConntrackDeletion; error: string }[]> {
  const failed: { args: ConntrackDeletion; error: string }[] = [];
  for (const args of deletions) {
    const full = ['-D', '-f', family, ...args];
    const r = await runner.run('conntrack', full);
    if (r.code === 0 || /0 flow entries have been deleted/.test(r.stderr)) continue;
    failed.push({ args, error: r.stderr.trim() || `exit ${r.code}` });
  }
  return failed;
}
