// The kube-system/kube-dns Service: the address every pod's resolv.conf names. Its ClusterIP is
// the service range's tenth address (10.96.0.10 in the default range), as kubeadm gives it. No
// pods back it: every node agent serves cluster DNS at that address itself, on the node, so pods
// find Services by name on any cluster without a DNS Deployment to schedule. Its selector is the
// upstream one, so a DNS Deployment labelled k8s-app=kube-dns would take over.
import { ApiError, findResource, KubeObject } from '@flotilla/api';
import type { ObjectRegistry, WriteOptions } from '../registry/object-registry';
import { objectKey } from '../storage/key-layout';
import type { ObjectStore } from '../storage/object-store';
import { numberToIp, ServiceCidr } from './service-ranges';

export const CLUSTER_DNS_NAMESPACE = 'kube-system';
export const CLUSTER_DNS_SERVICE = 'kube-dns';
const DNS_IP_OFFSET = 10;

const SERVICES = findResource('', 'v1', 'services')!;
const WRITE: WriteOptions = { dryRun: false, fieldValidation: 'Ignore' };

/** The range's tenth address, or undefined when the range is too small to have one. */
export function clusterDnsIp(cidr: ServiceCidr): string | undefined {
  return cidr.size > DNS_IP_OFFSET + 1 ? numberToIp(cidr.base + DNS_IP_OFFSET) : undefined;
}

export function clusterDnsServiceBody(clusterIP: string | undefined): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: CLUSTER_DNS_SERVICE,
      namespace: CLUSTER_DNS_NAMESPACE,
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'ClusterDNS' },
    },
    spec: {
      type: 'ClusterIP',
      ...(clusterIP ? { clusterIP, clusterIPs: [clusterIP] } : {}),
      selector: { 'k8s-app': 'kube-dns' },
      sessionAffinity: 'None',
      ports: [
        { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 },
        { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53 },
      ],
    },
  };
}

/**
 * Creates the Service if it is missing (a deleted one comes back at the next bootstrap). When the
 * tenth address is taken by another Service, the registry gives it one of its own. Returns
 * whether this call created it.
 */
export async function ensureClusterDnsService(
  store: ObjectStore,
  registry: ObjectRegistry,
  cidr: ServiceCidr,
): Promise<boolean> {
  const key = objectKey(SERVICES, CLUSTER_DNS_NAMESPACE, CLUSTER_DNS_SERVICE);
  if (await store.get(key, { serializable: true })) return false;
  const create = (ip: string | undefined) =>
    registry.create(SERVICES, CLUSTER_DNS_NAMESPACE, clusterDnsServiceBody(ip), WRITE);
  try {
    await create(clusterDnsIp(cidr));
    return true;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.code === 409 && (await store.get(key, { serializable: false }))) return false;
    // 422 or 409: the address belongs to another Service.
    if (err.code !== 422 && err.code !== 409) throw err;
  }
  try {
    await create(undefined);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.code === 409) return false; // another master was first
    throw err;
  }
}
