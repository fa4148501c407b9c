// @flotilla/client: the only way components reach the cluster (REST over HTTP or in-process,
// informers, work queue, leader election, events). Depends on @flotilla/api alone.
export * from './contract';
