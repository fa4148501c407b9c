// Which masters are alive, as the kubernetes Service's endpoints should list them: each master
// renews a coordination.k8s.io/v1 Lease kube-system/kube-apiserver-<master>, labelled as
// kube-apiserver labels its identity Leases (apiserver.kubernetes.io/identity=kube-apiserver).
// A master that stops renewing (killed, partitioned away) is dead once renewTime plus
// leaseDurationSeconds has passed; a stopping master deletes its Lease. Kubernetes' identity
// Leases carry no address, so ours name it in an annotation, ip:port (the local cluster runs
// three masters on one address with different API ports). Pure: names, bodies and liveness.
import { isIP } from 'node:net';
import { formatMicroTime, type Lease } from '@flotilla/client';
import type { MasterAddress } from './kubernetes-service';

export const APISERVER_LEASE_NAMESPACE = 'kube-system';
export const APISERVER_IDENTITY_LABEL = 'apiserver.kubernetes.io/identity';
export const APISERVER_IDENTITY = 'kube-apiserver';
/** Selects every master's Lease (and no leader-election Lease). */
export const APISERVER_LEASE_SELECTOR = `${APISERVER_IDENTITY_LABEL}=${APISERVER_IDENTITY}`;
/** The master's name, as kube-apiserver puts its host name on its Lease. */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';
export const ADDRESS_ANNOTATION = 'flotilla.io/apiserver-address';

/** How long a master's Lease outlives its last renewal, by default (seconds). */
export const MASTER_LEASE_TTL_SECONDS = 15;
/** How often a master renews its Lease and rewrites the endpoints, by default; well inside the TTL. */
export const MASTER_LEASE_REFRESH_MS = 10_000;

export function apiserverLeaseName(masterName: string): string {
  return `${APISERVER_IDENTITY}-${masterName}`;
}

/**
 * This master's Lease renewed at `nowMs`: a body to create (no `current`) or to update
 * (`current`'s resourceVersion, a precondition). Other labels and annotations are kept.
 */
export function renewedLease(
  self: MasterAddress,
  holderIdentity: string,
  durationSeconds: number,
  nowMs: number,
  current?: Lease,
): Lease {
  const renewTime = formatMicroTime(nowMs);
  const sameHolder = current?.spec?.holderIdentity === holderIdentity;
  return {
    ...(current ?? {}),
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      ...(current?.metadata ?? {}),
      name: apiserverLeaseName(self.name),
      namespace: APISERVER_LEASE_NAMESPACE,
      labels: {
        ...(current?.metadata.labels ?? {}),
        [APISERVER_IDENTITY_LABEL]: APISERVER_IDENTITY,
        [HOSTNAME_LABEL]: self.name,
      },
      annotations: {
        ...(current?.metadata.annotations ?? {}),
        [ADDRESS_ANNOTATION]: `${self.ip}:${self.port}`,
      },
    },
    spec: {
      holderIdentity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: sameHolder ? (current?.spec?.acquireTime ?? renewTime) : renewTime,
      renewTime,
    },
  };
}

/** When the Lease expires (epoch ms); 0 when it says nothing usable (it counts as expired). */
export function leaseExpiry(lease: Lease): number {
  const renewed = Date.parse(lease.spec?.renewTime ?? '');
  const seconds = lease.spec?.leaseDurationSeconds;
  if (!Number.isFinite(renewed) || typeof seconds !== 'number' || seconds <= 0) return 0;
  return renewed + seconds * 1000;
}

export function leaseExpired(lease: Lease, nowMs: number): boolean {
  return leaseExpiry(lease) <= nowMs;
}

/** The master a Lease names, or undefined for anything else (never trusted blindly). */
export function masterOfLease(lease: Lease): MasterAddress | undefined {
  if (lease.metadata.labels?.[APISERVER_IDENTITY_LABEL] !== APISERVER_IDENTITY) return undefined;
  const name = lease.metadata.labels?.[HOSTNAME_LABEL];
  const address = lease.metadata.annotations?.[ADDRESS_ANNOTATION] ?? '';
  const match = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(address);
  if (!name || !match || isIP(match[1]) !== 4) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { name, ip: match[1], port };
}

/** The masters whose Lease has not expired at `nowMs`. */
export function liveMasters(leases: readonly Lease[], nowMs: number): MasterAddress[] {
  return leases.flatMap((l) => (leaseExpired(l, nowMs) ? [] : (masterOfLease(l) ?? [])));
}

/** The first moment after `nowMs` at which one of the live Leases expires, if any. */
export function nextExpiry(leases: readonly Lease[], nowMs: number): number | undefined {
  let next: number | undefined;
  for (const l of leases) {
    const at = leaseExpiry(l);
    if (at > nowMs && masterOfLease(l) && (next === undefined || at < next)) next = at;
  }
  return next;
}
