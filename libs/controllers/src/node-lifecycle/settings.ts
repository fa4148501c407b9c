// The node lifecycle controller's flags (kube-controller-manager's names).
import { FlagValues } from '../flag-values';

export interface NodeLifecycleSettings {
  /** How often node health is checked (--node-monitor-period). */
  monitorPeriodMs: number;
  /** A node silent this long becomes Unknown (--node-monitor-grace-period). */
  gracePeriodMs: number;
  /** ... or this long after creation, for one that never posted (--node-startup-grace-period). */
  startupGracePeriodMs: number;
  /** Nodes per second per zone tainted for eviction (--node-eviction-rate). */
  evictionRate: number;
  /** ... in a partly disrupted zone larger than the threshold (--secondary-node-eviction-rate). */
  secondaryEvictionRate: number;
  /** (--large-cluster-size-threshold) */
  largeClusterThreshold: number;
  /** Share of not-ready nodes that makes a zone partly disrupted (--unhealthy-zone-threshold). */
  unhealthyZoneThreshold: number;
}

/**
 * Defaults. Kubernetes gives a node 40 s (50 s since 1.32) of silence before calling it Unknown,
 * four to five of the kubelet's 10 s Lease renewals. Flotilla's kubelet renews every 10 s too, but
 * its masters sit close to their workers and fail over within 3 s, so the grace period is two
 * renewals: one lost renewal is forgiven, a dead node is Unknown within 20-22 s. The health check
 * runs every 2 s (Kubernetes: 5 s): it only compares cached objects, and writes on change.
 */
export const NODE_LIFECYCLE_DEFAULTS: NodeLifecycleSettings = Object.freeze({
  monitorPeriodMs: 2_000,
  gracePeriodMs: 20_000,
  startupGracePeriodMs: 30_000,
  evictionRate: 0.1,
  secondaryEvictionRate: 0.01,
  largeClusterThreshold: 50,
  unhealthyZoneThreshold: 0.55,
});

export function nodeLifecycleSettings(flags: ReadonlyMap<string, string>): NodeLifecycleSettings {
  const f = new FlagValues(flags);
  const d = NODE_LIFECYCLE_DEFAULTS;
  return {
    monitorPeriodMs: f.duration('node-monitor-period', d.monitorPeriodMs, 100),
    gracePeriodMs: f.duration('node-monitor-grace-period', d.gracePeriodMs, 1000),
    startupGracePeriodMs: f.duration('node-startup-grace-period', d.startupGracePeriodMs, 1000),
    evictionRate: f.number('node-eviction-rate', d.evictionRate, 0),
    secondaryEvictionRate: f.number('secondary-node-eviction-rate', d.secondaryEvictionRate, 0),
    largeClusterThreshold: f.integer('large-cluster-size-threshold', d.largeClusterThreshold, 0),
    unhealthyZoneThreshold: f.number('unhealthy-zone-threshold', d.unhealthyZoneThreshold, 0, 1),
  };
}
