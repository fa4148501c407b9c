// @flotilla/client: the only way components reach the cluster (REST over HTTP or in-process,
// informers, work queue, leader election, events). Depends on @flotilla/api alone.
export * from './contract';
export * from './clock';
export * from './workqueue';
export * from './informer';
export * from './leaderelection';
export * from './events';
export * from './testing';
export * from './transport/errors';
export * from './transport/transport';
export * from './transport/endpoint';
export * from './transport/http-transport';
export * from './transport/in-process-transport';
export * from './transport/rate-limiter';
export * from './transport/user-agent';
export * from './rest/kube-client';
export * from './rest/resource-client';
export * from './rest/resumable-watch';
export * from './rest/types';
export { statusError, toApiError } from './rest/codec';
export * from './kubeconfig/kubeconfig-error';
export * from './kubeconfig/load';
export * from './kubeconfig/resolve';
export * from './kubeconfig/connect';
