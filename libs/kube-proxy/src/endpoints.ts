// The endpoints of one Service, read from its EndpointSlices: per port (name and protocol), the
// addresses with their readiness and whether they run on this node.
import type { EndpointSlice } from './api-types';
import { sliceServiceKey } from './api-types';
import { IPFamily, ipToBigInt, parseIP } from './ip';
import { type InputProblem, endpointSliceProblem } from './problems';

export interface EndpointInfo {
  ip: string;
  port: number;
  /** "ip:port", or "[ip]:port" for IPv6: what `dnat to` takes. */
  address: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  isLocal: boolean;
}

export interface ServiceEndpoints {
  /** Keyed by `portKey(portName, protocol)`. */
  byPort: Map<string, EndpointInfo[]>;
  problems: InputProblem[];
}

export function portKey(portName: string, protocol: string): string {
  return `${portName}/${protocol.toLowerCase()}`;
}

const ADDRESS_TYPE: Record<IPFamily, string> = { ipv4: 'IPv4', ipv6: 'IPv6' };

/**
 * Merges the slices of one Service. A slice of the other family or of FQDN addresses is skipped;
 * a bad address or port is reported and left out. The same ip:port in two slices counts once
 * (the slice first by name wins), and endpoints come out sorted by address, so a ruleset does not
 * depend on the order slices arrived in.
 */
export function serviceEndpoints(
  slices: readonly EndpointSlice[],
  family: IPFamily,
  nodeName: string,
): ServiceEndpoints {
  const problems: InputProblem[] = [];
  const byPort = new Map<string, Map<string, EndpointInfo>>();
  const sorted = [...slices].sort((a, b) =>
    (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
  for (const slice of sorted) {
    if (slice.addressType !== ADDRESS_TYPE[family]) continue;
    const report = (message: string) =>
      problems.push(
        endpointSliceProblem(
          slice.metadata.namespace ?? '',
          slice.metadata.name ?? '',
          sliceServiceKey(slice),
          message,
        ),
      );
    const ports: { key: string; port: number }[] = [];
    for (const p of slice.ports ?? []) {
      const protocol = (p.protocol ?? 'TCP').toLowerCase();
      if (typeof p.port !== 'number' || !Number.isInteger(p.port) || p.port < 1 || p.port > 65535) {
        report(
          `port ${JSON.stringify(p.name ?? '')} has no valid port number (${JSON.stringify(p.port)})`,
        );
        continue;
      }
      ports.push({ key: portKey(p.name ?? '', protocol), port: p.port });
    }
    for (const ep of slice.endpoints ?? []) {
      const first = ep.addresses?.[0];
      const parsed = parseIP(first);
      if (!parsed || parsed.family !== family) {
        report(
          `endpoint address ${JSON.stringify(first)} is not an ${ADDRESS_TYPE[family]} address`,
        );
        continue;
      }
      const c = ep.conditions ?? {};
      // Kubernetes: an unset ready means ready; serving defaults to ready; terminating to false.
      const ready = c.ready ?? true;
      const serving = c.serving ?? ready;
      const terminating = c.terminating ?? false;
      for (const { key, port } of ports) {
        let list = byPort.get(key);
        if (!list) byPort.set(key, (list = new Map()));
        const address = family === 'ipv6' ? `[${parsed.ip}]:${port}` : `${parsed.ip}:${port}`;
        if (list.has(address)) continue;
        list.set(address, {
          ip: parsed.ip,
          port,
          address,
          ready,
          serving,
          terminating,
          isLocal: ep.nodeName !== undefined && ep.nodeName === nodeName,
        });
      }
    }
  }
  const out = new Map<string, EndpointInfo[]>();
  for (const [key, list] of byPort) out.set(key, [...list.values()].sort(compareEndpoints));
  return { byPort: out, problems };
}

function compareEndpoints(a: EndpointInfo, b: EndpointInfo): number {
  const x = ipToBigInt(a.ip);
  const y = ipToBigInt(b.ip);
  return x < y ? -1 : x > y ? 1 : a.port - b.port;
}
