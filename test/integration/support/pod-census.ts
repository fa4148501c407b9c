// Watches the pods of one label selector and keeps, over every state it observes, the highest
// number of pods and the lowest number of ready ones: what a rollout's maxSurge and
// maxUnavailable bound.
import { findResource } from '@flotilla/api';
import { SharedInformerFactory, type KubeClient, type Pod } from '@flotilla/client';

const PODS = findResource('', 'v1', 'pods')!;

export interface Census {
  readonly pods: number;
  readonly ready: number;
  /** Extremes since the last reset(). */
  readonly maxPods: number;
  readonly minReady: number;
  /** Starts counting extremes from the current state. */
  reset(): void;
  synced(): Promise<boolean>;
  stop(): void;
}

export function startPodCensus(client: KubeClient, namespace: string, selector: string): Census {
  const factory = new SharedInformerFactory({
    listerWatcher: (info, ns) => client.resource(info, ns),
  });
  const informer = factory.informerFor<Pod>(PODS, { namespace, labelSelector: selector });
  let pods = 0;
  let ready = 0;
  let maxPods = 0;
  let minReady = Number.MAX_SAFE_INTEGER;
  const count = () => {
    const live = informer.lister.list().filter((p) => !p.metadata.deletionTimestamp);
    pods = live.length;
    ready = live.filter((p) =>
      p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    ).length;
    maxPods = Math.max(maxPods, pods);
    minReady = Math.min(minReady, ready);
  };
  informer.addEventHandler({ onAdd: count, onUpdate: count, onDelete: count });
  factory.start();
  return {
    get pods() {
      return pods;
    },
    get ready() {
      return ready;
    },
    get maxPods() {
      return maxPods;
    },
    get minReady() {
      return minReady;
    },
    reset() {
      maxPods = pods;
      minReady = ready;
    },
    synced: () => informer.waitForSync(),
    stop: () => factory.shutdown(),
  };
}
