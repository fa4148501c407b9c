// @flotilla/kube-proxy: Services and EndpointSlices → one nftables table per IP family, in
// Kubernetes' nftables-mode semantics. Pure rendering and diffing; thin nft and conntrack edges.
export * from './api-types';
export * from './ip';
export * from './problems';
export * from './service-ports';
export * from './endpoints';
export * from './categorize';
export * from './chain-names';
export * from './ruleset';
export * from './render-options';
export * from './render-base';
export * from './render-service';
export * from './desired-state';
export * from './nft-script';
export * from './transaction';
export * from './service-tracker';
export * from './sync-planner';
export * from './sync-runner';
export * from './command-runner';
export * from './nft-applier';
export * from './nft-session';
export * from './conntrack';
export * from './metrics';
export * from './health';
export * from './node-port-addresses';
export * from './proxier';
export * from './proxy-events';
