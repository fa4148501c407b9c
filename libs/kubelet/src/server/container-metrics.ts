// The kubelet's container metrics in Prometheus text: /metrics/resource (what metrics-server
// reads: cpu and working set per container, pod and node) and a minimal /metrics/cadvisor. The
// figures come from the runtime's ListContainerStats; names from the labels the kubelet sets on
// its containers. Like Kubernetes, each usage sample carries the time the runtime measured it.
import { promises as fs } from 'node:fs';
import {
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
} from '../runtime/labels';
import type { Pod } from '../pod/types';
import type { ContainerRuntime } from '../runtime/runtime';

export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** One running container of a pod, as the runtime measured it. */
export interface ContainerUsage {
  id: string;
  container: string;
  pod: string;
  namespace: string;
  podUid: string;
  image: string;
  /** When the runtime created it (ms since the epoch), as Kubernetes' CRI stats report it. */
  startedAtMs: number;
  /** When the runtime measured it (ms since the epoch). */
  timestampMs: number;
  cpuCoreNanoSeconds: number;
  memoryWorkingSetBytes: number;
}

export interface NodeUsage {
  timestampMs: number;
  cpuCoreNanoSeconds: number;
  memoryWorkingSetBytes: number;
}

export interface ResourceSnapshot {
  containers: ContainerUsage[];
  /** Absent when neither the host nor the containers could be read. */
  node?: NodeUsage;
  /** The runtime's stats could not be read. */
  error: boolean;
}

/** The running pod containers the runtime has stats for, sorted by namespace, pod, container. */
export async function collectContainerUsage(runtime: ContainerRuntime): Promise<ContainerUsage[]> {
  const [stats, containers] = await Promise.all([
    runtime.listContainerStats(),
    runtime.listContainers(),
  ]);
  const running = new Map(containers.filter((c) => c.state === 'running').map((c) => [c.id, c]));
  const out: ContainerUsage[] = [];
  for (const s of stats) {
    const c = running.get(s.id);
    const labels = { ...c?.labels, ...s.labels };
    const pod = labels[LABEL_POD_NAME];
    const namespace = labels[LABEL_POD_NAMESPACE];
    // Not running, or not a pod's container (something else uses the runtime): left out.
    if (!c || pod === undefined || namespace === undefined) continue;
    out.push({
      id: s.id,
      container: labels[LABEL_CONTAINER_NAME] ?? s.name,
      pod,
      namespace,
      podUid: labels[LABEL_POD_UID] ?? '',
      image: c.image,
      startedAtMs: c.createdAt,
      timestampMs: s.timestamp,
      cpuCoreNanoSeconds: s.cpuUsageCoreNanoSeconds,
      memoryWorkingSetBytes: s.memoryWorkingSetBytes,
    });
  }
  return out.sort(
    (a, b) =>
      a.namespace.localeCompare(b.namespace) ||
      a.pod.localeCompare(b.pod) ||
      a.container.localeCompare(b.container),
  );
}

/** The node's usage as the sum of its containers: for a node without a host to read (hollow). */
export function sumOfContainers(containers: ContainerUsage[], nowMs: number): NodeUsage {
  return {
    timestampMs: containers.reduce((t, c) => Math.max(t, c.timestampMs), 0) || nowMs,
    cpuCoreNanoSeconds: containers.reduce((n, c) => n + c.cpuCoreNanoSeconds, 0),
    memoryWorkingSetBytes: containers.reduce((n, c) => n + c.memoryWorkingSetBytes, 0),
  };
}

/** Linux reports /proc/stat in USER_HZ, which is 100 on every architecture it runs on. */
const NANOS_PER_TICK = 1e7;

/**
 * The host's usage from /proc/stat (busy time of every cpu: all but idle and iowait; guest time
 * is already in user) and /proc/meminfo (working set: in use but the inactive file cache, as
 * cAdvisor counts it for the root cgroup).
 */
export function parseHostUsage(stat: string, meminfo: string, nowMs: number): NodeUsage {
  const cpu = /^cpu\s+(.*)$/m.exec(stat);
  if (!cpu) throw new Error('/proc/stat has no cpu line');
  const [user, nice, system, , , irq, softirq, steal] = cpu[1]
    .trim()
    .split(/\s+/)
    .map((v) => Number(v) || 0);
  const busy = user + nice + system + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  const kb = (key: string): number => {
    const m = new RegExp(`^${key.replace(/[()]/g, '\\$&')}:\\s+(\\d+)`, 'm').exec(meminfo);
    if (!m) throw new Error(`/proc/meminfo has no ${key}`);
    return Number(m[1]) * 1024;
  };
  return {
    timestampMs: nowMs,
    cpuCoreNanoSeconds: busy * NANOS_PER_TICK,
    memoryWorkingSetBytes: Math.max(0, kb('MemTotal') - kb('MemFree') - kb('Inactive(file)')),
  };
}

export async function readHostUsage(nowMs: number): Promise<NodeUsage> {
  const [stat, meminfo] = await Promise.all([
    fs.readFile('/proc/stat', 'utf8'),
    fs.readFile('/proc/meminfo', 'utf8'),
  ]);
  return parseHostUsage(stat, meminfo, nowMs);
}

/** A label value in the text format: backslash, double quote and newline escaped. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabelValue(labels[k])}"`).join(',')}}`;
}

interface Sample {
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

/** One family: HELP, TYPE and its samples; nothing when it has none (as client_golang). */
function family(name: string, help: string, type: string, samples: Sample[]): string {
  if (samples.length === 0) return '';
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const s of samples) {
    const at = s.timestampMs === undefined ? '' : ` ${Math.round(s.timestampMs)}`;
    lines.push(`${name}${labelText(s.labels)} ${s.value}${at}`);
  }
  return lines.join('\n') + '\n';
}

const seconds = (nanos: number) => nanos / 1e9;

interface PodTotal {
  namespace: string;
  pod: string;
  timestampMs: number;
  cpu: number;
  memory: number;
}

function podTotals(containers: ContainerUsage[]): PodTotal[] {
  const pods = new Map<string, PodTotal>();
  for (const c of containers) {
    const key = JSON.stringify([c.namespace, c.pod, c.podUid]);
    const p = pods.get(key) ?? {
      namespace: c.namespace,
      pod: c.pod,
      timestampMs: 0,
      cpu: 0,
      memory: 0,
    };
    p.timestampMs = Math.max(p.timestampMs, c.timestampMs);
    p.cpu += c.cpuCoreNanoSeconds;
    p.memory += c.memoryWorkingSetBytes;
    pods.set(key, p);
  }
  return [...pods.values()];
}

/** /metrics/resource, the families and labels Kubernetes' kubelet serves there. */
export function renderResourceMetrics(s: ResourceSnapshot): string {
  const ids = (c: ContainerUsage) => ({
    container: c.container,
    namespace: c.namespace,
    pod: c.pod,
  });
  const pods = podTotals(s.containers);
  const node = s.node ? [s.node] : [];
  return [
    family(
      'container_cpu_usage_seconds_total',
      '[STABLE] CPU time the container has used, in core-seconds',
      'counter',
      s.containers.map((c) => ({
        labels: ids(c),
        value: seconds(c.cpuCoreNanoSeconds),
        timestampMs: c.timestampMs,
      })),
    ),
    family(
      'container_memory_working_set_bytes',
      "[STABLE] The container's current working set, in bytes",
      'gauge',
      s.containers.map((c) => ({
        labels: ids(c),
        value: c.memoryWorkingSetBytes,
        timestampMs: c.timestampMs,
      })),
    ),
    family(
      'container_start_time_seconds',
      '[STABLE] When the container started, in seconds since the Unix epoch',
      'gauge',
      s.containers
        .filter((c) => c.startedAtMs > 0)
        .map((c) => ({ labels: ids(c), value: c.startedAtMs / 1000, timestampMs: c.startedAtMs })),
    ),
    family(
      'node_cpu_usage_seconds_total',
      '[STABLE] CPU time the node has used, in core-seconds',
      'counter',
      node.map((n) => ({
        labels: {},
        value: seconds(n.cpuCoreNanoSeconds),
        timestampMs: n.timestampMs,
      })),
    ),
    family(
      'node_memory_working_set_bytes',
      "[STABLE] The node's current working set, in bytes",
      'gauge',
      node.map((n) => ({ labels: {}, value: n.memoryWorkingSetBytes, timestampMs: n.timestampMs })),
    ),
    family(
      'pod_cpu_usage_seconds_total',
      "[STABLE] CPU time the pod's containers have used, in core-seconds",
      'counter',
      pods.map((p) => ({
        labels: { namespace: p.namespace, pod: p.pod },
        value: seconds(p.cpu),
        timestampMs: p.timestampMs,
      })),
    ),
    family(
      'pod_memory_working_set_bytes',
      "[STABLE] The current working set of the pod's containers, in bytes",
      'gauge',
      pods.map((p) => ({
        labels: { namespace: p.namespace, pod: p.pod },
        value: p.memory,
        timestampMs: p.timestampMs,
      })),
    ),
    family(
      'scrape_error',
      '[ALPHA] 1 when the container metrics could not be read, 0 otherwise',
      'gauge',
      [{ labels: {}, value: s.error ? 1 : 0 }],
    ),
  ].join('');
}

/**
 * /metrics/cadvisor, minimal: cpu and working set per container with cAdvisor's labels. id is
 * the container's cgroup when cgroupRoot is given (the kubelet's pod cgroup, then the runtime's
 * container id under it, as containerd's cgroupfs driver makes it), the container id otherwise;
 * name is the container id, as cAdvisor names containerd's containers.
 */
export function renderCadvisorMetrics(containers: ContainerUsage[], cgroupRoot?: string): string {
  const labels = (c: ContainerUsage) => ({
    container: c.container,
    id: cgroupRoot && c.podUid ? `${cgroupRoot}/pod${c.podUid}/${c.id}` : c.id,
    image: c.image,
    name: c.id,
    namespace: c.namespace,
    pod: c.pod,
  });
  return [
    family(
      'container_cpu_usage_seconds_total',
      'Cumulative cpu time consumed in seconds.',
      'counter',
      containers.map((c) => ({
        labels: labels(c),
        value: seconds(c.cpuCoreNanoSeconds),
        timestampMs: c.timestampMs,
      })),
    ),
    family(
      'container_memory_working_set_bytes',
      'Current working set in bytes.',
      'gauge',
      containers.map((c) => ({
        labels: labels(c),
        value: c.memoryWorkingSetBytes,
        timestampMs: c.timestampMs,
      })),
    ),
  ].join('');
}

export interface ContainerMetricsOptions {
  runtime: ContainerRuntime;
  /**
   * The node's pods: cadvisor's image label is the image as the pod spec names it (the runtime
   * has the image's id); absent or not found: the runtime's.
   */
  pods?: () => Pod[];
  /** The kubelet's --cgroup-root, for cadvisor's id label; absent: the container id. */
  cgroupRoot?: string;
  /** The host's usage; absent: the sum of the containers (a hollow node has no host of its own). */
  nodeUsage?: (nowMs: number) => Promise<NodeUsage>;
  now?: () => number;
}

/** Both endpoints' text, read fresh from the runtime on each scrape. */
export class ContainerMetrics {
  private readonly now: () => number;

  constructor(private readonly o: ContainerMetricsOptions) {
    this.now = o.now ?? Date.now;
  }

  async resource(): Promise<string> {
    const now = this.now();
    let containers: ContainerUsage[] | undefined;
    try {
      containers = await collectContainerUsage(this.o.runtime);
    } catch {
      containers = undefined;
    }
    let node: NodeUsage | undefined;
    let hostUnread = false;
    if (this.o.nodeUsage) {
      node = await this.o.nodeUsage(now).catch(() => undefined);
      hostUnread = node === undefined;
    } else if (containers) {
      node = sumOfContainers(containers, now);
    }
    return renderResourceMetrics({
      containers: containers ?? [],
      ...(node ? { node } : {}),
      error: containers === undefined || hostUnread,
    });
  }

  /** Throws when the runtime cannot be read: the server answers 500. */
  async cadvisor(): Promise<string> {
    const containers = await collectContainerUsage(this.o.runtime);
    const images = new Map<string, string>();
    for (const p of this.o.pods?.() ?? []) {
      for (const c of [...(p.spec.initContainers ?? []), ...p.spec.containers]) {
        images.set(JSON.stringify([p.metadata.uid, c.name]), c.image ?? '');
      }
    }
    return renderCadvisorMetrics(
      containers.map((c) => ({
        ...c,
        image: images.get(JSON.stringify([c.podUid, c.container])) || c.image,
      })),
      this.o.cgroupRoot,
    );
  }
}
