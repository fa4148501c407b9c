// The informer's own cost, without a network or JSON: initial sync of N pods through a paged
// list, then E watch events into the indexed cache and a handler that queues keys.
// Usage: npx tsx bench/client/informer-cache.ts [--pods 10000] [--events 100000]
import type { KubeObject } from '@flotilla/api';
import {
  NODE_NAME_INDEX,
  objectKey,
  podsByNodeName,
  SharedInformer,
  WorkQueue,
  type ListerWatcher,
  type WatchEvent,
} from '@flotilla/client';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function pod(i: number, rv: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `p${i}`,
      namespace: `ns${i % 10}`,
      resourceVersion: String(rv),
      uid: `u${i}`,
      labels: { app: `a${i % 50}` },
    },
    spec: {
      nodeName: `n${i % 100}`,
      containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m' } } }],
    },
    status: { phase: 'Running' },
  };
}

async function main(): Promise<void> {
  const pods = arg('pods', 10_000);
  const events = arg('events', 100_000);
  let emit: (e: WatchEvent) => void = () => undefined;
  const lw: ListerWatcher = {
    list: async (o) => {
      const start = o?.continue ? Number(o.continue) : 0;
      const end = Math.min(pods, start + (o?.limit ?? pods));
      const items = [];
      for (let i = start; i < end; i++) items.push(pod(i, 1));
      return {
        metadata: { resourceVersion: '1', ...(end < pods ? { continue: String(end) } : {}) },
        items,
      };
    },
    watch: async (_o, on) => {
      emit = on;
      return { stop: () => undefined, done: new Promise<void>(() => undefined) };
    },
  };
  const queue = new WorkQueue<string>();
  const informer = new SharedInformer(lw, { indexers: { [NODE_NAME_INDEX]: podsByNodeName } });
  informer.addEventHandler({
    onAdd: (o) => queue.add(objectKey(o)),
    onUpdate: (_old, o) => queue.add(objectKey(o)),
  });
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  let t = process.hrtime.bigint();
  informer.start();
  await informer.waitForSync();
  const syncMs = Number(process.hrtime.bigint() - t) / 1e6;
  global.gc?.();
  const heapMiB = (process.memoryUsage().heapUsed - heap0) / 1048576;
  const objs = Array.from({ length: events }, (_, k) => pod(k % pods, 2 + k));
  t = process.hrtime.bigint();
  for (const object of objs) emit({ type: 'MODIFIED', object });
  const eventsMs = Number(process.hrtime.bigint() - t) / 1e6;
  console.log(
    `initial sync of ${pods} pods (pages of 500): ${syncMs.toFixed(0)} ms, cache heap ${heapMiB.toFixed(1)} MiB`,
  );
  console.log(
    `${events} watch events into cache + handler + queue: ${eventsMs.toFixed(0)} ms, ${Math.round((events / eventsMs) * 1000)} events/s`,
  );
  informer.stop();
}

void main();
