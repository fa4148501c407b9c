// Zones and their health: evictions are paced per zone, slowed when much of a zone is down and
// stopped when every zone is down at once (that looks like the control plane's own partition,
// not the nodes' failure).
import type { Node } from '@flotilla/client';

export type ZoneState = 'Initial' | 'Normal' | 'PartialDisruption' | 'FullDisruption';

export const LABEL_ZONE = 'topology.kubernetes.io/zone';
export const LABEL_REGION = 'topology.kubernetes.io/region';
/** Nodes with this label are left out of the zone's health (Kubernetes' exclude-disruption). */
export const LABEL_EXCLUDE_DISRUPTION = 'node.kubernetes.io/exclude-disruption';

/** "region:\0:zone" as Kubernetes keys zones; "" for a node with neither label. */
export function zoneKey(node: Node): string {
  const labels = node.metadata.labels ?? {};
  const zone = labels[LABEL_ZONE] ?? labels['failure-domain.beta.kubernetes.io/zone'] ?? '';
  const region = labels[LABEL_REGION] ?? labels['failure-domain.beta.kubernetes.io/region'] ?? '';
  if (!zone && !region) return '';
  return `${region}:\x00:${zone}`;
}

/** A zone key as people read it: "zone-a", "region/zone-a", or "(no zone)". */
export function zoneName(key: string): string {
  if (key === '') return '(no zone)';
  const [region, zone] = key.split(':\x00:');
  return region ? `${region}/${zone}` : zone;
}

/**
 * Kubernetes' ComputeZoneState: FullDisruption when no node of the zone is ready,
 * PartialDisruption when more than two are not and they are at least `unhealthyThreshold` of
 * it, Normal otherwise. `ready` holds each node's Ready status (undefined: no condition yet).
 */
export function computeZoneState(
  ready: readonly (string | undefined)[],
  unhealthyThreshold: number,
): { unhealthy: number; state: ZoneState } {
  const readyNodes = ready.filter((s) => s === 'True').length;
  const unhealthy = ready.length - readyNodes;
  if (readyNodes === 0 && unhealthy > 0) return { unhealthy, state: 'FullDisruption' };
  if (unhealthy > 2 && unhealthy / ready.length >= unhealthyThreshold)
    return { unhealthy, state: 'PartialDisruption' };
  return { unhealthy, state: 'Normal' };
}

export interface EvictionRates {
  /** Nodes per second tainted for eviction in a healthy zone (--node-eviction-rate). */
  primaryQps: number;
  /** ... in a partly disrupted large zone (--secondary-node-eviction-rate). */
  secondaryQps: number;
  /** Zones of at most this many nodes stop evicting when partly disrupted. */
  largeClusterThreshold: number;
}

/** The eviction rate for a zone in `state` with `size` nodes (setLimiterInZone). */
export function zoneRate(state: ZoneState, size: number, rates: EvictionRates): number {
  switch (state) {
    case 'PartialDisruption':
      return size > rates.largeClusterThreshold ? rates.secondaryQps : 0;
    case 'Normal':
    case 'FullDisruption':
    case 'Initial':
      return rates.primaryQps;
  }
}
