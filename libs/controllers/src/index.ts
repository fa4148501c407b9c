// @flotilla/controllers: the controllers of the controller manager, one folder each, and the
// manager that runs them while this master holds the kube-controller-manager Lease.
export * from './controller';
export * from './deployment';
export * from './flags';
export * from './garbagecollector';
export * from './job';
export * from './cronjob';
export * from './disruption';
export * from './daemonset';
export * from './statefulset';
export * from './resourcequota';
export * from './persistentvolume';
export * from './manager';
export * from './registry';
export * from './replicaset';
export * from './serviceaccount';
export * from './registry-b';
export * from './flag-values';
export * from './node-lifecycle/node-lifecycle-controller';
export * from './node-lifecycle/settings';
export * from './node-ipam/node-ipam-controller';
export * from './endpointslice/endpointslice-controller';
export * from './endpointslice/reconcile';
export * from './endpoints/endpoints-controller';
export * from './namespace/namespace-controller';
export * from './podgc/podgc-controller';
export * from './apiserver';
