export * from './deletion-ranking';
export * from './replicaset-controller';
export * from './replicaset-status';
