// @flotilla/client: the only way components reach the cluster (REST over HTTP or in-process,
// informers, work queue, leader election, events). Depends on @flotilla/api alone.
export * from './contract';
export * from './clock';
export * from './workqueue';
export * from './informer';
export * from './leaderelection';
export * from './events';
export * from './testing';
