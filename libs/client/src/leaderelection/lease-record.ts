import { formatMicroTime } from '../clock';
import type { Lease } from '../rest/types';

/** What a coordination.k8s.io/v1 Lease says about leadership (client-go's LeaderElectionRecord). */
export interface LeaderElectionRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  /** Epoch ms. */
  acquireTime: number;
  /** Epoch ms. */
  renewTime: number;
  leaseTransitions: number;
}

function parseTime(text: string | undefined): number {
  const t = text ? Date.parse(text) : NaN;
  return Number.isFinite(t) ? t : 0;
}

export function recordOf(lease: Lease): LeaderElectionRecord {
  const s = lease.spec ?? {};
  return {
    holderIdentity: s.holderIdentity ?? '',
    leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
    acquireTime: parseTime(s.acquireTime),
    renewTime: parseTime(s.renewTime),
    leaseTransitions: s.leaseTransitions ?? 0,
  };
}

export function specOf(r: LeaderElectionRecord): NonNullable<Lease['spec']> {
  return {
    holderIdentity: r.holderIdentity,
    leaseDurationSeconds: r.leaseDurationSeconds,
    acquireTime: formatMicroTime(r.acquireTime),
    renewTime: formatMicroTime(r.renewTime),
    leaseTransitions: r.leaseTransitions,
  };
}

/** Whether two records say the same thing (a holder that renews always changes renewTime). */
export function sameRecord(a: LeaderElectionRecord | undefined, b: LeaderElectionRecord): boolean {
  return (
    a !== undefined &&
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}
