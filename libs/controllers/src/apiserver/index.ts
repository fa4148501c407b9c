// The API server's own loops (system namespaces and PriorityClasses, the masters' Leases, the
// kubernetes Service and its endpoints), run by every master over its in-process client.
export * from './apiserver-loops';
export * from './settings';
export {
  APISERVER_IDENTITY_LABEL,
  APISERVER_LEASE_NAMESPACE,
  APISERVER_LEASE_SELECTOR,
  ADDRESS_ANNOTATION,
  apiserverLeaseName,
  MASTER_LEASE_REFRESH_MS,
  MASTER_LEASE_TTL_SECONDS,
} from './apiserver-leases';
export type { MasterAddress } from './kubernetes-service';
export type { KubernetesServiceOutcome } from './kubernetes-service-controller';
export { SYSTEM_NAMESPACES, SystemObjectsController } from './system-objects-controller';
export {
  CLUSTER_DNS_NAMESPACE,
  CLUSTER_DNS_SERVICE,
  ClusterDnsServiceController,
  clusterDnsIp,
} from './cluster-dns-service-controller';
