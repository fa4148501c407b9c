// Feeds a NodeNetworkAgent from shared informers: Services and EndpointSlices (kube-proxy and DNS;
// headless slices included, DNS needs them) and Nodes (the pod network's routes, kube-proxy's own
// node facts). Each kind reports "synced" after its first list, which is what lets kube-proxy write
// its first table.
import { findResource, type ResourceInfo } from '@flotilla/api';
import { SharedInformerFactory, finalStateOf, type SharedInformer } from '@flotilla/client';
import type { EndpointSlice, Node, Service } from '@flotilla/kube-proxy';
import type { NodeNetworkAgent } from './node-network-agent';

export const SERVICES: ResourceInfo = findResource('', 'v1', 'services')!;
export const ENDPOINT_SLICES: ResourceInfo = findResource(
  'discovery.k8s.io',
  'v1',
  'endpointslices',
)!;
export const NODES: ResourceInfo = findResource('', 'v1', 'nodes')!;

export interface NetworkInformers {
  services: SharedInformer<Service>;
  slices: SharedInformer<EndpointSlice>;
  nodes: SharedInformer<Node>;
}

/** Registers the agent's handlers (the factory is started by its owner). */
export function feedNodeNetwork(
  agent: NodeNetworkAgent,
  factory: SharedInformerFactory,
): NetworkInformers {
  const services = factory.informerFor<Service>(SERVICES);
  const slices = factory.informerFor<EndpointSlice>(ENDPOINT_SLICES);
  const nodes = factory.informerFor<Node>(NODES);
  services.addEventHandler({
    onAdd: (s) => agent.onServiceUpsert(s),
    onUpdate: (_old, s) => agent.onServiceUpsert(s),
    onDelete: (s) => agent.onServiceDelete(finalStateOf(s)),
  });
  slices.addEventHandler({
    onAdd: (s) => agent.onEndpointSliceUpsert(s),
    onUpdate: (_old, s) => agent.onEndpointSliceUpsert(s),
    onDelete: (s) => agent.onEndpointSliceDelete(finalStateOf(s)),
  });
  nodes.addEventHandler({
    onAdd: (n) => agent.onNodeUpsert(n),
    onUpdate: (_old, n) => agent.onNodeUpsert(n),
    onDelete: (n) => agent.onNodeDelete(finalStateOf(n)),
  });
  void services.waitForSync().then((ok) => ok && agent.onServicesSynced());
  void slices.waitForSync().then((ok) => ok && agent.onEndpointSlicesSynced());
  void nodes.waitForSync().then((ok) => ok && agent.onNodesSynced());
  return { services, slices, nodes };
}
