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
