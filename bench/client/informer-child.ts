// One informer over pods in one namespace, in a process of its own so that its memory and CPU
// are its own: @flotilla/client's SharedInformer (JSON or protobuf) or @kubernetes/client-node's makeInformer.
// Spawned by bench/client/informers.ts; talks JSON lines on stdout, waits for lines on stdin.
//
//   npx tsx bench/client/informer-child.ts <ours|ours-stripped|ours-protobuf|client-node> <kubeconfig> <context> <namespace>
// ours-stripped: the factory drops managedFields before caching (client-go's TransformStripManagedFields);
// ours-lean: that, and objects cached unfrozen (as client-go and client-node cache them).
import { createInterface } from 'node:readline';
import {
  connectFromKubeconfig,
  SharedInformerFactory,
  stripManagedFields,
  type Pod,
} from '@flotilla/client';

const [lib, kubeconfig, context, namespace] = process.argv.slice(2);

interface Informer {
  /** Resolves once the initial list is in the cache. */
  start(): Promise<void>;
  size(): number;
  stop(): void;
}

let updates = 0;
let lastUpdateAt = 0;
const onUpdate = () => {
  updates++;
  lastUpdateAt = performance.now();
};

function ours(protobuf: boolean, stripped = false, frozen = true): Informer {
  const { client } = connectFromKubeconfig({
    kubeconfig,
    context,
    component: 'bench-informer',
    rateLimit: false,
    protobuf,
  });
  const factory = new SharedInformerFactory({
    listerWatcher: (info, ns) => client.resource(info, ns),
    ...(stripped ? { transform: stripManagedFields } : {}),
    freeze: frozen,
  });
  const pods = factory.informerFor<Pod>(client.pods().info, { namespace });
  pods.addEventHandler({ onUpdate });
  return {
    start: async () => {
      factory.start();
      await factory.waitForCacheSync();
    },
    size: () => pods.indexer.list().length,
    stop: () => {
      factory.shutdown();
      client.close();
    },
  };
}

async function clientNode(): Promise<Informer> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  kc.setCurrentContext(context);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${namespace}/pods`, () =>
    core.listNamespacedPod({ namespace }),
  );
  informer.on('update', onUpdate);
  return {
    start: () => informer.start(),
    size: () => informer.list().length,
    stop: () => void informer.stop(),
  };
}

const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const heapMiB = () => {
  global.gc?.();
  return process.memoryUsage().heapUsed / 1048576;
};

async function main(): Promise<void> {
  const heap0 = heapMiB();
  const informer =
    lib === 'client-node'
      ? await clientNode()
      : ours(
          lib === 'ours-protobuf',
          lib === 'ours-stripped' || lib === 'ours-lean',
          lib !== 'ours-lean',
        );
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await informer.start();
  const syncMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  say({
    phase: 'synced',
    objects: informer.size(),
    syncMs,
    syncCpuMs: (cpu.user + cpu.system) / 1000,
    heapMiB: heapMiB() - heap0,
    rssMiB: process.memoryUsage().rss / 1048576,
  });
  // The parent writes; we report how many updates arrived and the CPU they cost.
  const lines = createInterface({ input: process.stdin });
  let from = process.cpuUsage();
  let loopFrom = performance.eventLoopUtilization();
  let fromUpdates = 0;
  let markedAt = performance.now();
  for await (const line of lines) {
    if (line === 'mark') {
      markedAt = performance.now();
      from = process.cpuUsage();
      loopFrom = performance.eventLoopUtilization();
      fromUpdates = updates;
      say({ phase: 'marked' });
    } else if (line.startsWith('count ')) {
      const want = Number(line.slice(6));
      const deadline = Date.now() + 60_000;
      while (updates - fromUpdates < want && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 5));
      const used = process.cpuUsage(from);
      // The main thread's busy time: what an informer costs a controller's event loop (the
      // process's CPU also counts the TypeScript loader's and the GC's helper threads).
      const loop = performance.eventLoopUtilization(loopFrom);
      say({
        phase: 'events',
        updates: updates - fromUpdates,
        cpuMs: (used.user + used.system) / 1000,
        loopMs: loop.active,
        // From the mark (the writer starts right after it) to the last update handled.
        wallMs: lastUpdateAt - markedAt,
      });
    } else if (line === 'stop') break;
  }
  informer.stop();
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
