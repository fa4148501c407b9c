// The Node object the kubelet keeps: who it is (labels, taints, addresses), what it offers
// (capacity, allocatable), what runs it (nodeInfo) and how it is (conditions). Pure: facts, runtime
// conditions and time in, the object out; transitions keep their time while a condition holds.
import type { KubeObject } from '@flotilla/api';
import type { NodeFacts } from '../node/node-facts';
import type { RuntimeCondition } from '../runtime/runtime';
import { rfc3339 } from '../util/clock';

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastHeartbeatTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface NodeIdentity {
  name: string;
  /** Extra labels (--node-labels). */
  labels: Record<string, string>;
  /** --register-with-taints */
  taints: Taint[];
  podCIDR?: string;
}

const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

/** "key=value:Effect" or "key:Effect", comma-separated, as --register-with-taints takes them. */
export function parseTaints(text: string): Taint[] {
  return text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => {
      const m = /^([A-Za-z0-9][-A-Za-z0-9_./]*)(?:=([^:]*))?:([A-Za-z]+)$/.exec(t);
      if (!m || !(EFFECTS as readonly string[]).includes(m[3])) {
        throw new Error(
          `${JSON.stringify(t)} is not a taint (key[=value]:NoSchedule|PreferNoSchedule|NoExecute)`,
        );
      }
      return { key: m[1], ...(m[2] ? { value: m[2] } : {}), effect: m[3] as Taint['effect'] };
    });
}

/** "k=v,k2=v2" as --node-labels takes them. */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`${JSON.stringify(pair)} is not key=value`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export function nodeLabels(id: NodeIdentity, facts: NodeFacts): Record<string, string> {
  const os = facts.nodeInfo.operatingSystem;
  const arch = facts.nodeInfo.architecture;
  return {
    ...id.labels,
    'kubernetes.io/hostname': id.name,
    'kubernetes.io/os': os,
    'kubernetes.io/arch': arch,
    'beta.kubernetes.io/os': os,
    'beta.kubernetes.io/arch': arch,
  };
}

function condition(
  previous: NodeCondition[] | undefined,
  now: number,
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
): NodeCondition {
  const before = previous?.find((c) => c.type === type);
  return {
    type,
    status,
    lastHeartbeatTime: rfc3339(now),
    lastTransitionTime:
      before && before.status === status ? before.lastTransitionTime : rfc3339(now),
    reason,
    message,
  };
}

/** The node's conditions as the kubelet reports them, from the runtime's own conditions. */
/** The node's own pod network (CNI configuration and routes for its podCIDR), where the node
 *  agent runs one: its state joins the runtime's in NetworkUnavailable. */
export interface PodNetworkState {
  ready: boolean;
  message: string;
}

export function nodeConditions(
  runtime: RuntimeCondition[] | Error,
  previous: NodeCondition[] | undefined,
  now: number,
  podNetwork?: PodNetworkState,
): NodeCondition[] {
  const problems =
    runtime instanceof Error
      ? [`container runtime is down: ${runtime.message}`]
      : runtime
          .filter((c) => !c.status)
          .map(
            (c) =>
              `container runtime ${c.type === 'NetworkReady' ? 'network' : 'status'} not ready: ${c.type}=false reason:${c.reason} message:${c.message}`,
          );
  const runtimeNetworkReady =
    !(runtime instanceof Error) && runtime.some((c) => c.type === 'NetworkReady' && c.status);
  return [
    condition(
      previous,
      now,
      'MemoryPressure',
      'False',
      'KubeletHasSufficientMemory',
      'kubelet has sufficient memory available',
    ),
    condition(
      previous,
      now,
      'DiskPressure',
      'False',
      'KubeletHasNoDiskPressure',
      'kubelet has no disk pressure',
    ),
    condition(
      previous,
      now,
      'PIDPressure',
      'False',
      'KubeletHasSufficientPID',
      'kubelet has sufficient PID available',
    ),
    problems.length === 0
      ? condition(previous, now, 'Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
      : condition(previous, now, 'Ready', 'False', 'KubeletNotReady', problems.join(', ')),
    networkCondition(runtimeNetworkReady, podNetwork, previous, now),
  ];
}

/** NetworkUnavailable: False once the runtime's network and the node's pod network are ready. */
function networkCondition(
  runtimeReady: boolean,
  podNetwork: PodNetworkState | undefined,
  previous: NodeCondition[] | undefined,
  now: number,
): NodeCondition {
  if (!runtimeReady) {
    return condition(
      previous,
      now,
      'NetworkUnavailable',
      'True',
      'RuntimeNetworkNotReady',
      'the runtime reports its network not ready',
    );
  }
  if (podNetwork && !podNetwork.ready) {
    return condition(
      previous,
      now,
      'NetworkUnavailable',
      'True',
      'NoRouteCreated',
      `pod network not ready: ${podNetwork.message}`,
    );
  }
  return podNetwork
    ? condition(previous, now, 'NetworkUnavailable', 'False', 'RouteCreated', podNetwork.message)
    : condition(
        previous,
        now,
        'NetworkUnavailable',
        'False',
        'RuntimeNetworkReady',
        'the runtime reports its network ready',
      );
}

/** The Node to create at registration. */
export function newNode(
  id: NodeIdentity,
  facts: NodeFacts,
  conditions: NodeCondition[],
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: id.name,
      labels: nodeLabels(id, facts),
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: {
      ...(id.podCIDR ? { podCIDR: id.podCIDR, podCIDRs: [id.podCIDR] } : {}),
      ...(id.taints.length ? { taints: id.taints } : {}),
    },
    status: nodeStatus(facts, conditions),
  };
}

export function nodeStatus(facts: NodeFacts, conditions: NodeCondition[]): Record<string, unknown> {
  return {
    capacity: facts.capacity,
    allocatable: facts.allocatable,
    conditions,
    addresses: facts.addresses,
    daemonEndpoints: { kubeletEndpoint: { Port: facts.kubeletPort ?? 10250 } },
    nodeInfo: facts.nodeInfo,
  };
}

/** Whether two statuses differ other than in heartbeat times (then the status must be written). */
export function statusChanged(
  a: Record<string, unknown> | undefined,
  b: Record<string, unknown>,
): boolean {
  const strip = (s: Record<string, unknown> | undefined) =>
    JSON.stringify({
      ...s,
      conditions: ((s?.conditions as NodeCondition[] | undefined) ?? []).map(
        ({ lastHeartbeatTime: _h, ...rest }) => rest,
      ),
    });
  return strip(a) !== strip(b);
}
