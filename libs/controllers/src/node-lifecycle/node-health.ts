// What the controller knows of each node's heartbeats, by its own clock: when it last saw the
// kubelet post a new Ready heartbeat or renew the node's Lease (never the timestamps written in
// those objects, which come from another machine's clock). A node silent for longer than the
// grace period has its conditions set to Unknown. Pure: the controller does the writes.
import type { coreV1, Lease, Node } from '@flotilla/client';

export type NodeCondition = coreV1.NodeCondition;

export interface NodeHealth {
  /** When (controller clock, ms) the node last showed a sign of life. */
  probeTimestamp: number;
  /** When (controller clock) the controller saw its Ready condition change last. */
  readyTransitionTimestamp: number;
  /** The Ready condition as last observed (undefined: the kubelet never posted one). */
  ready: NodeCondition | undefined;
  /** The Lease's renewTime as last observed. */
  leaseRenewTime: string | undefined;
}

export interface HealthSettings {
  /** A node that posted status before: silent this long → Unknown. */
  gracePeriodMs: number;
  /** A node that never posted a Ready condition gets this long from its creation. */
  startupGracePeriodMs: number;
}

export interface Assessment {
  health: NodeHealth;
  /** The Ready condition as the node object has it (Unknown if it has none). */
  observedReady: NodeCondition;
  /** The Ready condition after this assessment (what it is, or what `status` sets). */
  currentReady: NodeCondition | undefined;
  /** The status to write, when the node went silent and its conditions must become Unknown. */
  status?: coreV1.NodeStatus;
}

/** The conditions set to Unknown when the kubelet stops posting (NetworkUnavailable is not its). */
const SILENCED = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

export function condition(node: Node, type: string): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === type);
}

/** RFC 3339 at second precision, as conditions carry it. */
export function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function parseTime(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const t = Date.parse(text);
  return Number.isFinite(t) ? t : undefined;
}

/** Whether the Lease was renewed since `before` (renewTime later, or changed at the same ms). */
function renewed(lease: Lease | undefined, before: string | undefined): boolean {
  const now = lease?.spec?.renewTime;
  if (!now) return false;
  if (!before) return true;
  const a = parseTime(before) ?? 0;
  const b = parseTime(now) ?? 0;
  return b > a || (b === a && now !== before && now > before);
}

/**
 * Kubernetes' tryUpdateNodeHealth: folds what the node and its Lease show into `prev`, and says
 * whether the node has been silent past its grace period (then `status` has its conditions set
 * to Unknown, to be written).
 */
export function assessNode(
  prev: NodeHealth | undefined,
  node: Node,
  lease: Lease | undefined,
  now: number,
  settings: HealthSettings,
): Assessment {
  const current = condition(node, 'Ready');
  const created = parseTime(node.metadata.creationTimestamp) ?? now;
  let grace: number;
  let observedReady: NodeCondition;
  let health = prev;
  if (!current) {
    // Never posted: count the startup grace from the node's creation.
    observedReady = {
      type: 'Ready',
      status: 'Unknown',
      lastHeartbeatTime: node.metadata.creationTimestamp,
      lastTransitionTime: node.metadata.creationTimestamp,
    };
    grace = settings.startupGracePeriodMs;
    health = health
      ? { ...health, ready: undefined }
      : {
          probeTimestamp: created,
          readyTransitionTimestamp: created,
          ready: undefined,
          leaseRenewTime: undefined,
        };
  } else {
    observedReady = { ...current };
    grace = settings.gracePeriodMs;
    if (!health || !health.ready) {
      // First sight of this node (a new leader sees every node so): a full grace period from now.
      health = {
        probeTimestamp: now,
        readyTransitionTimestamp: now,
        ready: current,
        leaseRenewTime: health?.leaseRenewTime,
      };
    } else if (health.ready.lastHeartbeatTime !== current.lastHeartbeatTime) {
      const transitioned = health.ready.lastTransitionTime !== current.lastTransitionTime;
      health = {
        probeTimestamp: now,
        readyTransitionTimestamp: transitioned ? now : health.readyTransitionTimestamp,
        ready: current,
        leaseRenewTime: health.leaseRenewTime,
      };
    } else {
      health = { ...health, ready: current };
    }
  }
  // A renewed Lease is a sign of life whatever the status says.
  if (renewed(lease, health.leaseRenewTime)) {
    health = { ...health, leaseRenewTime: lease!.spec!.renewTime, probeTimestamp: now };
  }

  if (now <= health.probeTimestamp + grace) {
    return { health, observedReady, currentReady: current };
  }
  const conditions = (node.status?.conditions ?? []).map((c) => ({ ...c }));
  for (const type of SILENCED) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      conditions.push({
        type,
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Kubelet never posted node status.',
        lastHeartbeatTime: node.metadata.creationTimestamp,
        lastTransitionTime: timestamp(now),
      });
    } else if (c.status !== 'Unknown') {
      c.status = 'Unknown';
      c.reason = 'NodeStatusUnknown';
      c.message = 'Kubelet stopped posting node status.';
      c.lastTransitionTime = timestamp(now);
    }
  }
  const currentReady = conditions.find((c) => c.type === 'Ready');
  if (sameCondition(currentReady, observedReady)) {
    return { health, observedReady, currentReady };
  }
  return {
    health: { ...health, ready: currentReady, readyTransitionTimestamp: now },
    observedReady,
    currentReady,
    status: { ...node.status, conditions },
  };
}

function sameCondition(a: NodeCondition | undefined, b: NodeCondition): boolean {
  return (
    a !== undefined &&
    a.status === b.status &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.lastHeartbeatTime === b.lastHeartbeatTime &&
    a.lastTransitionTime === b.lastTransitionTime
  );
}
