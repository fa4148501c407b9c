// Tells the user when the cluster serves the Kubernetes API: through the kubeconfig `flotilla up`
// just wrote, with @flotilla/client (every master a failover endpoint), as kubectl would see it.
import { connectFromKubeconfig } from '@flotilla/client';

export interface ApiReadyOptions {
  timeoutMs: number;
  intervalMs: number;
  /** True once the user asked to stop: give up quietly. */
  stopped: () => boolean;
}

/** The namespaces, once kube-system exists (the masters bootstrapped); undefined on timeout. */
export async function waitForApi(
  kubeconfig: string,
  o: ApiReadyOptions,
): Promise<string[] | undefined> {
  const { client } = connectFromKubeconfig({
    kubeconfig,
    component: 'flotilla',
    rateLimit: false,
    rounds: 1,
  });
  try {
    const deadline = Date.now() + o.timeoutMs;
    for (let i = 0; i < 10_000 && Date.now() < deadline && !o.stopped(); i++) {
      const names = await client
        .namespaces()
        .list()
        .then((l) => l.items.map((n) => n.metadata.name ?? ''))
        .catch(() => [] as string[]);
      if (names.includes('kube-system')) return names;
      await new Promise((resolve) => setTimeout(resolve, o.intervalMs));
    }
    return undefined;
  } finally {
    client.close();
  }
}
