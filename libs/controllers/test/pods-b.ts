// Pods and Services as a kubelet and a user would leave them, for the endpoint controllers'
// scenarios: a pod is created bound to a node, then its status is posted (phase, IP, Ready).
import type { KubeClient, Pod, Service, coreV1 } from '@flotilla/client';

export interface PodSpecOpts {
  namespace?: string;
  labels?: Record<string, string>;
  node?: string;
  ip?: string;
  ready?: boolean;
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  /** Container ports (named ports for targetPort by name). */
  ports?: coreV1.ContainerPort[];
  hostname?: string;
  subdomain?: string;
  finalizers?: string[];
}

export async function addPod(client: KubeClient, name: string, o: PodSpecOpts = {}): Promise<Pod> {
  const ns = o.namespace ?? 'default';
  const pods = client.pods(ns);
  const created = await pods.create({
    metadata: {
      name,
      namespace: ns,
      labels: o.labels,
      ...(o.finalizers ? { finalizers: o.finalizers } : {}),
    },
    spec: {
      ...(o.node ? { nodeName: o.node } : {}),
      ...(o.hostname ? { hostname: o.hostname } : {}),
      ...(o.subdomain ? { subdomain: o.subdomain } : {}),
      containers: [{ name: 'c', image: 'busybox', ...(o.ports ? { ports: o.ports } : {}) }],
    },
  });
  return setPodStatus(client, created, o);
}

export async function setPodStatus(client: KubeClient, pod: Pod, o: PodSpecOpts): Promise<Pod> {
  const ip = o.ip;
  return client.pods(pod.metadata.namespace).updateStatus({
    ...pod,
    status: {
      ...pod.status,
      phase: o.phase ?? 'Running',
      ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  });
}

export async function setReady(client: KubeClient, ns: string, name: string, ready: boolean) {
  const pod = await client.pods(ns).get(name);
  return client.pods(ns).updateStatus({
    ...pod,
    status: {
      ...pod.status,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  });
}

export async function addService(
  client: KubeClient,
  name: string,
  spec: coreV1.ServiceSpec,
  opts: { namespace?: string; labels?: Record<string, string> } = {},
): Promise<Service> {
  const ns = opts.namespace ?? 'default';
  return client.services(ns).create({
    metadata: { name, namespace: ns, ...(opts.labels ? { labels: opts.labels } : {}) },
    spec,
  });
}
