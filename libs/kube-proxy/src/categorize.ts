// Which endpoints each kind of traffic may use, as Kubernetes defines it: ready endpoints, and
// serving-but-terminating ones only when no ready endpoint is left (so a rolling update does not
// drop connections); "Local" policies look at this node's endpoints alone.
import type { EndpointInfo } from './endpoints';
import { ServicePortInfo, usesClusterEndpoints, usesLocalEndpoints } from './service-ports';

export interface CategorizedEndpoints {
  /** For traffic under the Cluster policy. */
  cluster: EndpointInfo[];
  /** For traffic under the Local policy. */
  local: EndpointInfo[];
  /** Every endpoint any of this node's rules may DNAT to (the union, in address order). */
  reachable: EndpointInfo[];
  /** Whether the Service has a usable endpoint anywhere in the cluster. */
  hasAny: boolean;
}

export function categorizeEndpoints(
  sp: ServicePortInfo,
  endpoints: readonly EndpointInfo[],
): CategorizedEndpoints {
  let cluster: EndpointInfo[] = [];
  let local: EndpointInfo[] = [];
  let hasAny = false;
  const servingTerminating = (ep: EndpointInfo) => ep.serving && ep.terminating;

  if (usesClusterEndpoints(sp)) {
    cluster = endpoints.filter((ep) => ep.ready);
    if (cluster.length === 0) cluster = endpoints.filter(servingTerminating);
    hasAny = cluster.length > 0;
  }
  if (!usesLocalEndpoints(sp)) return { cluster, local, reachable: cluster, hasAny };

  if (endpoints.some((ep) => ep.ready || servingTerminating(ep))) hasAny = true;
  local = endpoints.filter((ep) => ep.isLocal && ep.ready);
  if (local.length === 0) local = endpoints.filter((ep) => ep.isLocal && servingTerminating(ep));
  if (!usesClusterEndpoints(sp)) return { cluster, local, reachable: local, hasAny };

  const used = new Set([...local, ...cluster]);
  const reachable = endpoints.filter((ep) => used.has(ep));
  return { cluster, local, reachable, hasAny };
}
