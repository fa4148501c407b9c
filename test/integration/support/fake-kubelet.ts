// A stand-in for kubelets while the cluster has none: it watches pods and reports each new one
// Running and Ready through the status subresource, as a kubelet would once its containers
// started. Pods are not scheduled or run; only their status is written.
import { findResource } from '@flotilla/api';
import { SharedInformerFactory, type KubeClient, type Pod } from '@flotilla/client';

const PODS = findResource('', 'v1', 'pods')!;

export interface FakeKubelet {
  /** Pods marked ready so far. */
  readonly marked: number;
  /** Looks at every known pod again (after `accept` changed its mind). */
  recheck(): void;
  stop(): void;
}

/** Marks every pod that `accept` takes ready, `parallel` status writes at a time. */
export function startFakeKubelet(
  client: KubeClient,
  opts: { namespace?: string; parallel?: number; accept?: (p: Pod) => boolean } = {},
): FakeKubelet {
  const parallel = opts.parallel ?? 8;
  const factory = new SharedInformerFactory({
    listerWatcher: (info, ns) => client.resource(info, ns),
  });
  const informer = factory.informerFor<Pod>(PODS, { namespace: opts.namespace });
  const waiting = new Map<string, Pod>();
  let inFlight = 0;
  let marked = 0;
  let stopped = false;

  const pump = () => {
    while (!stopped && inFlight < parallel && waiting.size > 0) {
      const [key, pod] = waiting.entries().next().value as [string, Pod];
      waiting.delete(key);
      inFlight++;
      void markReady(client, pod)
        .then(
          () => marked++,
          () => {
            // Deleted meanwhile, or a master went away: the next event or resync brings it back.
            const now = informer.lister.get(pod.metadata.name!, pod.metadata.namespace);
            if (now && needsReady(now)) waiting.set(key, now);
          },
        )
        .finally(() => {
          inFlight--;
          setTimeout(pump, 0);
        });
    }
  };
  const consider = (p: Pod) => {
    if (!needsReady(p) || (opts.accept && !opts.accept(p))) return;
    waiting.set(`${p.metadata.namespace}/${p.metadata.name}`, p);
    pump();
  };
  informer.addEventHandler({ onAdd: consider, onUpdate: (_o, p) => consider(p) });
  factory.start();
  return {
    get marked() {
      return marked;
    },
    recheck() {
      for (const p of informer.lister.list()) consider(p);
    },
    stop() {
      stopped = true;
      factory.shutdown();
    },
  };
}

function needsReady(p: Pod): boolean {
  if (p.metadata.deletionTimestamp) return false;
  return !p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

async function markReady(client: KubeClient, p: Pod): Promise<void> {
  const when = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  await client.pods(p.metadata.namespace).patchStatus(
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
