import { httpsRequest } from './e2e-pki';
import type { MasterContainers } from './master-containers';

export interface ApiResponse<T> {
  status: number;
  body: T;
}

/**
 * The Kubernetes API of a MasterContainers cluster (as the admin over HTTPS in the secure mode;
 * plain HTTP without credentials in the insecure one), through whichever member answers: a
 * member that is down or restarting is skipped, as a client with several servers does.
 */
export class ClusterApi {
  constructor(private readonly masters: MasterContainers) {}

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<ApiResponse<T>> {
    let last: unknown;
    for (const name of this.masters.running()) {
      try {
        const res = await this.send(this.masters.apiUrl(name, path), method, body);
        // A member without a leader answers 5xx: another may do better.
        if (res.status >= 500) {
          last = new Error(`${name}: ${res.status} ${res.body}`);
          continue;
        }
        return { status: res.status, body: JSON.parse(res.body) as T };
      } catch (err) {
        last = err;
      }
    }
    throw new Error(`no master answered ${method} ${path}: ${String(last)}`);
  }

  private async send(
    url: string,
    method: string,
    body: unknown,
  ): Promise<{ status: number; body: string }> {
    const pki = this.masters.pki;
    if (pki) return httpsRequest(url, pki.tls('admin'), method, body);
    const res = await fetch(url, {
      method,
      headers:
        body === undefined
          ? {}
          : {
              'content-type':
                method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
            },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, body: await res.text() };
  }

  /** GET that must succeed; undefined when no member answers (for polling). */
  async tryGet<T>(path: string): Promise<T | undefined> {
    try {
      const res = await this.request<T>('GET', path);
      return res.status === 200 ? res.body : undefined;
    } catch {
      return undefined;
    }
  }

  async create(path: string, object: unknown): Promise<void> {
    const res = await this.request('POST', path, object);
    if (res.status !== 201 && res.status !== 200) {
      throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    }
  }
}

export interface PodView {
  name: string;
  uid: string;
  node: string | undefined;
  ip: string | undefined;
  phase: string | undefined;
  ready: boolean;
  deleting: boolean;
  containerIds: string[];
  restarts: number;
}

interface PodObject {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { containerID?: string; restartCount?: number }[];
  };
}

/** The pods of namespace with label app=<app>, in a shape tests compare. */
export async function podsOf(
  api: ClusterApi,
  namespace: string,
  app: string,
): Promise<PodView[] | undefined> {
  const list = await api.tryGet<{ items: PodObject[] }>(
    `/api/v1/namespaces/${namespace}/pods?labelSelector=app%3D${app}`,
  );
  return list?.items.map((p) => ({
    name: p.metadata.name,
    uid: p.metadata.uid,
    node: p.spec.nodeName,
    ip: p.status?.podIP,
    phase: p.status?.phase,
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    deleting: p.metadata.deletionTimestamp !== undefined,
    containerIds: (p.status?.containerStatuses ?? []).map((c) => c.containerID ?? ''),
    restarts: (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0),
  }));
}

/** The Ready condition of each Node: "True", "False" or "Unknown". */
export async function nodeReadiness(api: ClusterApi): Promise<Map<string, string> | undefined> {
  const list = await api.tryGet<{
    items: {
      metadata: { name: string };
      status?: { conditions?: { type: string; status: string }[] };
    }[];
  }>('/api/v1/nodes');
  if (!list) return undefined;
  return new Map(
    list.items.map((n) => [
      n.metadata.name,
      n.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown',
    ]),
  );
}

/** A Deployment of flotilla/demo-web (busybox httpd answering its pod name) and its Service. */
export function demoWeb(options: {
  name: string;
  replicas: number;
  /** NoExecute tolerations of not-ready/unreachable nodes: how long before eviction. */
  tolerationSeconds?: number;
}): { deployment: unknown; service: unknown } {
  const labels = { app: options.name };
  const tolerations =
    options.tolerationSeconds === undefined
      ? []
      : ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'].map((key) => ({
          key,
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: options.tolerationSeconds,
        }));
  return {
    deployment: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: options.name, labels },
      spec: {
        replicas: options.replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            // busybox httpd as PID 1 ignores SIGTERM: no point waiting 30 s for it.
            terminationGracePeriodSeconds: 1,
            tolerations,
            // Both workers get pods; ScheduleAnyway, so a lone survivor takes them all.
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'kubernetes.io/hostname',
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: { matchLabels: labels },
              },
            ],
            containers: [
              {
                name: 'web',
                image: 'flotilla/demo-web',
                ports: [{ containerPort: 80 }],
                readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 2 },
              },
            ],
          },
        },
      },
    },
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: options.name },
      spec: { selector: labels, ports: [{ port: 80, targetPort: 80 }] },
    },
  };
}
