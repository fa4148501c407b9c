// Objects the controller tests start from.
import type { Deployment, Pod, ReplicaSet } from '@flotilla/client';
import type { KubeClient } from '@flotilla/client';

export function replicaSet(name: string, replicas: number, labels = { app: name }): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
      },
    },
  };
}

export function deployment(
  name: string,
  replicas: number,
  image = 'nginx:1',
  extra: Partial<NonNullable<Deployment['spec']>> = {},
): Deployment {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'c', image }] },
      },
      ...extra,
    },
  };
}

export function pod(name: string, labels: Record<string, string>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
  };
}

/** What a kubelet reports for a started pod: Running, and Ready since `at`. */
export async function markReady(client: KubeClient, p: Pod, at = new Date()): Promise<Pod> {
  const when = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return client.pods(p.metadata.namespace).patchStatus(
    p.metadata.name!,
    {
      status: {
        phase: 'Running',
        conditions: [
          { type: 'Ready', status: 'True', lastTransitionTime: when },
          { type: 'ContainersReady', status: 'True', lastTransitionTime: when },
        ],
      },
    },
    'merge',
  );
}

export async function podsOf(client: KubeClient, selector: string): Promise<Pod[]> {
  return (await client.pods('default').list({ labelSelector: selector })).items;
}

/**
 * A stand-in for kubelets: every `everyMs`, marks Running and Ready each pod that `ready` accepts
 * and that is not ready yet. Stops with the returned function.
 */
export function fakeKubelet(
  client: KubeClient,
  ready: (p: Pod) => boolean = () => true,
  everyMs = 30,
): () => Promise<void> {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const pods = (
        await client
          .pods('default')
          .list()
          .catch(() => ({ items: [] as Pod[] }))
      ).items;
      for (const p of pods) {
        if (stopped || p.metadata.deletionTimestamp || !ready(p)) continue;
        const isReady = p.status?.conditions?.some(
          (c) => c.type === 'Ready' && c.status === 'True',
        );
        if (!isReady) await markReady(client, p).catch(() => undefined);
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}
