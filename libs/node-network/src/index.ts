// @flotilla/node-network: the node's pod network (CNI configuration, host-gw routes, masquerade)
// and the cluster DNS the node agent serves.
export * from './cni-config';
export * from './routes';
export * from './masquerade';
export * from './pod-network';
export * from './dns/cluster-records';
export * from './dns/resolv-conf';
export * from './dns/dns-server';
export * from './dns/local-address';
export * from './node-network-agent';
export * from './informers';
