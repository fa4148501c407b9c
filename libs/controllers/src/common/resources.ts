// The catalog entries the controllers read and write.
import { findResource, type ResourceInfo } from '@flotilla/api';

function resource(group: string, plural: string): ResourceInfo {
  const info = findResource(group, 'v1', plural);
  if (!info) throw new Error(`the catalog has no ${plural} in group "${group}"`);
  return info;
}

export const PODS = resource('', 'pods');
export const NAMESPACES = resource('', 'namespaces');
export const SERVICE_ACCOUNTS = resource('', 'serviceaccounts');
export const REPLICASETS = resource('apps', 'replicasets');
export const DEPLOYMENTS = resource('apps', 'deployments');
export const JOBS = resource('batch', 'jobs');
export const CRONJOBS = resource('batch', 'cronjobs');
export const PDBS = resource('policy', 'poddisruptionbudgets');
export const DAEMONSETS = resource('apps', 'daemonsets');
export const CONTROLLER_REVISIONS = resource('apps', 'controllerrevisions');
export const NODES = resource('', 'nodes');
export const STATEFULSETS = resource('apps', 'statefulsets');
export const PVCS = resource('', 'persistentvolumeclaims');
export const RESOURCE_QUOTAS = resource('', 'resourcequotas');
export const SERVICES = resource('', 'services');
export const CONFIGMAPS = resource('', 'configmaps');
export const SECRETS = resource('', 'secrets');
export const PVS = resource('', 'persistentvolumes');
export const ENDPOINTS = resource('', 'endpoints');
export const ENDPOINT_SLICES = resource('discovery.k8s.io', 'endpointslices');
export const LEASES = resource('coordination.k8s.io', 'leases');
export const PRIORITY_CLASSES = resource('scheduling.k8s.io', 'priorityclasses');
