import {
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
} from '../runtime/labels';
import type { ContainerRuntime, ContainerStats, ContainerSummary } from '../runtime/runtime';
import {
  ContainerMetrics,
  escapeLabelValue,
  parseHostUsage,
  renderCadvisorMetrics,
  collectContainerUsage,
} from './container-metrics';

const T = 1_900_000_000_000;

function labels(pod: string, container: string, namespace = 'default'): Record<string, string> {
  return {
    [LABEL_POD_NAME]: pod,
    [LABEL_POD_NAMESPACE]: namespace,
    [LABEL_POD_UID]: `uid-${pod}`,
    [LABEL_CONTAINER_NAME]: container,
  };
}

interface Row {
  id: string;
  labels: Record<string, string>;
  state?: ContainerSummary['state'];
  cpu: number;
  memory: number;
  createdAt?: number;
}

/** Just the two calls the metrics make, answering from rows (or failing). */
function runtimeOf(rows: Row[], fail = false): ContainerRuntime {
  const stats: ContainerStats[] = rows.map((r) => ({
    id: r.id,
    name: r.labels[LABEL_CONTAINER_NAME] ?? r.id,
    labels: r.labels,
    timestamp: T,
    cpuUsageCoreNanoSeconds: r.cpu,
    memoryWorkingSetBytes: r.memory,
  }));
  const containers: ContainerSummary[] = rows.map((r) => ({
    id: r.id,
    sandboxId: 's',
    metadata: { name: r.labels[LABEL_CONTAINER_NAME] ?? r.id, attempt: 0 },
    image: 'docker.io/library/nginx:1.27',
    imageRef: 'sha256:abc',
    state: r.state ?? 'running',
    createdAt: r.createdAt ?? T - 60_000,
    labels: r.labels,
    annotations: {},
  }));
  return {
    listContainerStats: async () => {
      if (fail) throw new Error('runtime down');
      return stats;
    },
    listContainers: async () => containers,
  } as unknown as ContainerRuntime;
}

const webPod: Row[] = [
  { id: 'c1', labels: labels('web', 'app'), cpu: 1_500_000_000, memory: 1000 },
  { id: 'c2', labels: labels('web', 'sidecar'), cpu: 250_000_000, memory: 24 },
];

describe('/metrics/resource', () => {
  it('renders one pod with two containers, the pod and node sums, with the runtime times', async () => {
    const text = await new ContainerMetrics({
      runtime: runtimeOf(webPod),
      now: () => T,
    }).resource();
    expect(text).toBe(
      [
        '# HELP container_cpu_usage_seconds_total [STABLE] CPU time the container has used, in core-seconds',
        '# TYPE container_cpu_usage_seconds_total counter',
        `container_cpu_usage_seconds_total{container="app",namespace="default",pod="web"} 1.5 ${T}`,
        `container_cpu_usage_seconds_total{container="sidecar",namespace="default",pod="web"} 0.25 ${T}`,
        "# HELP container_memory_working_set_bytes [STABLE] The container's current working set, in bytes",
        '# TYPE container_memory_working_set_bytes gauge',
        `container_memory_working_set_bytes{container="app",namespace="default",pod="web"} 1000 ${T}`,
        `container_memory_working_set_bytes{container="sidecar",namespace="default",pod="web"} 24 ${T}`,
        '# HELP container_start_time_seconds [STABLE] When the container started, in seconds since the Unix epoch',
        '# TYPE container_start_time_seconds gauge',
        `container_start_time_seconds{container="app",namespace="default",pod="web"} ${(T - 60_000) / 1000} ${T - 60_000}`,
        `container_start_time_seconds{container="sidecar",namespace="default",pod="web"} ${(T - 60_000) / 1000} ${T - 60_000}`,
        '# HELP node_cpu_usage_seconds_total [STABLE] CPU time the node has used, in core-seconds',
        '# TYPE node_cpu_usage_seconds_total counter',
        `node_cpu_usage_seconds_total 1.75 ${T}`,
        "# HELP node_memory_working_set_bytes [STABLE] The node's current working set, in bytes",
        '# TYPE node_memory_working_set_bytes gauge',
        `node_memory_working_set_bytes 1024 ${T}`,
        "# HELP pod_cpu_usage_seconds_total [STABLE] CPU time the pod's containers have used, in core-seconds",
        '# TYPE pod_cpu_usage_seconds_total counter',
        `pod_cpu_usage_seconds_total{namespace="default",pod="web"} 1.75 ${T}`,
        "# HELP pod_memory_working_set_bytes [STABLE] The current working set of the pod's containers, in bytes",
        '# TYPE pod_memory_working_set_bytes gauge',
        `pod_memory_working_set_bytes{namespace="default",pod="web"} 1024 ${T}`,
        '# HELP scrape_error [ALPHA] 1 when the container metrics could not be read, 0 otherwise',
        '# TYPE scrape_error gauge',
        'scrape_error 0',
        '',
      ].join('\n'),
    );
  });

  it('sums per pod, leaves out exited containers and containers that are no pod’s', async () => {
    const rows: Row[] = [
      ...webPod,
      { id: 'c3', labels: labels('db', 'pg', 'data'), cpu: 3e9, memory: 5 },
      { id: 'c4', labels: labels('db', 'old', 'data'), state: 'exited', cpu: 9e9, memory: 9 },
      { id: 'c5', labels: {}, cpu: 7e9, memory: 7 },
    ];
    const text = await new ContainerMetrics({ runtime: runtimeOf(rows), now: () => T }).resource();
    expect(text).toContain(`pod_cpu_usage_seconds_total{namespace="data",pod="db"} 3 ${T}`);
    expect(text).toContain(`pod_memory_working_set_bytes{namespace="default",pod="web"} 1024 ${T}`);
    expect(text).toContain(`node_cpu_usage_seconds_total 4.75 ${T}`);
    expect(text).not.toContain('old');
    expect(text).not.toMatch(/\b7\b/);
  });

  it('takes the node from the host when it has one', async () => {
    const text = await new ContainerMetrics({
      runtime: runtimeOf(webPod),
      nodeUsage: async (now) => ({
        timestampMs: now,
        cpuCoreNanoSeconds: 100e9,
        memoryWorkingSetBytes: 2048,
      }),
      now: () => T + 5,
    }).resource();
    expect(text).toContain(`node_cpu_usage_seconds_total 100 ${T + 5}\n`);
    expect(text).toContain(`node_memory_working_set_bytes 2048 ${T + 5}\n`);
  });

  it('says scrape_error 1 when the runtime cannot be read, and keeps the host', async () => {
    const text = await new ContainerMetrics({
      runtime: runtimeOf(webPod, true),
      nodeUsage: async (now) => ({
        timestampMs: now,
        cpuCoreNanoSeconds: 1e9,
        memoryWorkingSetBytes: 1,
      }),
      now: () => T,
    }).resource();
    expect(text).not.toContain('container_');
    expect(text).toContain(`node_cpu_usage_seconds_total 1 ${T}\n`);
    expect(text).toMatch(/\nscrape_error 1\n$/);
  });

  it('escapes backslashes, quotes and newlines in label values', async () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const rows: Row[] = [{ id: 'x', labels: labels('we"b', 'a\\pp\n'), cpu: 0, memory: 0 }];
    const text = await new ContainerMetrics({ runtime: runtimeOf(rows), now: () => T }).resource();
    expect(text).toContain(
      `container_cpu_usage_seconds_total{container="a\\\\pp\\n",namespace="default",pod="we\\"b"} 0 ${T}\n`,
    );
  });
});

describe('/metrics/cadvisor', () => {
  it("renders cpu and working set with cAdvisor's labels", async () => {
    const text = renderCadvisorMetrics(await collectContainerUsage(runtimeOf(webPod.slice(0, 1))));
    expect(text).toBe(
      [
        '# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds.',
        '# TYPE container_cpu_usage_seconds_total counter',
        `container_cpu_usage_seconds_total{container="app",id="c1",image="docker.io/library/nginx:1.27",name="c1",namespace="default",pod="web"} 1.5 ${T}`,
        '# HELP container_memory_working_set_bytes Current working set in bytes.',
        '# TYPE container_memory_working_set_bytes gauge',
        `container_memory_working_set_bytes{container="app",id="c1",image="docker.io/library/nginx:1.27",name="c1",namespace="default",pod="web"} 1000 ${T}`,
        '',
      ].join('\n'),
    );
  });

  it("names the container's cgroup as id when it knows the cgroup root", async () => {
    const text = renderCadvisorMetrics(
      await collectContainerUsage(runtimeOf(webPod.slice(0, 1))),
      '/kubepods',
    );
    expect(text).toContain(
      `container_cpu_usage_seconds_total{container="app",id="/kubepods/poduid-web/c1",image="docker.io/library/nginx:1.27",name="c1",`,
    );
  });
});

describe('the host usage', () => {
  it('counts busy cpu ticks (not idle or iowait) and the working set of /proc/meminfo', () => {
    const stat = 'cpu  100 20 30 5000 40 1 2 3 0 0\ncpu0 50 10 15 2500 20 0 1 1 0 0\n';
    const meminfo = [
      'MemTotal:        8000000 kB',
      'MemFree:         3000000 kB',
      'MemAvailable:    6000000 kB',
      'Inactive(file):  1000000 kB',
    ].join('\n');
    expect(parseHostUsage(stat, meminfo, T)).toEqual({
      timestampMs: T,
      cpuCoreNanoSeconds: 156 * 1e7,
      memoryWorkingSetBytes: 4_000_000 * 1024,
    });
  });

  it('refuses a /proc/stat without a cpu line', () => {
    expect(() => parseHostUsage('intr 1\n', 'MemTotal: 1 kB', T)).toThrow(/cpu line/);
  });
});
