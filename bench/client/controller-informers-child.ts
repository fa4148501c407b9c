// The controller manager's side of bench/client/controller-informers.ts, in a process of its own
// so that its heap, RSS and CPU are its own: every controller of the build, run by
// runControllerSet over HTTP against the parent's API server, with the informer cache chosen by
// argv[3]. Talks JSON lines on stdout, waits for lines on stdin.
//
//   npx tsx bench/client/controller-informers-child.ts <url> <full|lean|lean-unfrozen>
import { createInterface } from 'node:readline';
import { Registry } from 'prom-client';
import { connect, type Pod } from '@flotilla/client';
import {
  CONTROLLER_FACTORIES,
  runControllerSet,
  type Controller,
  type ControllerContext,
  type ControllerLog,
} from '@flotilla/controllers';

const [url, mode] = process.argv.slice(2);
const CACHES: Record<string, { keepManagedFields?: boolean; freeze?: boolean }> = {
  full: { keepManagedFields: true },
  lean: {},
  'lean-unfrozen': { freeze: false },
};
if (!CACHES[mode]) throw new Error(`unknown cache mode ${mode}`);

const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const quiet: ControllerLog = { info() {}, warn() {}, error() {} };

let updates = 0;
let synced: () => void = () => undefined;
const allSynced = new Promise<void>((resolve) => (synced = resolve));

/**
 * Joins the set last: it waits until every informer the controllers asked for has synced (they
 * ask as they start, so it waits for the count to settle), and counts the pod updates the shared
 * pod informer delivers.
 */
class SyncProbe implements Controller {
  readonly name = 'bench-sync-probe';
  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const pods = ctx.informers.informerFor<Pod>(ctx.client.pods().info);
    pods.addEventHandler({ onUpdate: () => void updates++ });
    let size = -1;
    while (!signal.aborted && size !== ctx.informers.size) {
      size = ctx.informers.size;
      await ctx.informers.waitForCacheSync({ signal });
      await new Promise((r) => setTimeout(r, 500));
    }
    synced();
  }
}

const heap = () => {
  global.gc?.();
  global.gc?.();
  const m = process.memoryUsage();
  return { heapMiB: m.heapUsed / 1048576, rssMiB: m.rss / 1048576 };
};

async function main(): Promise<void> {
  const base = heap();
  const { transport } = connect([url], { component: 'bench-controllers', rateLimit: false });
  const flags = new Map<string, string>();
  for (const f of CONTROLLER_FACTORIES)
    for (const flag of f.flags ?? []) flags.set(flag.flag, flag.default);
  const ac = new AbortController();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const done = runControllerSet(
    [...CONTROLLER_FACTORIES.map((f) => f.create()), new SyncProbe()],
    {
      transport,
      component: 'kube-controller-manager',
      instance: 'bench',
      log: quiet,
      metrics: new Registry(),
      flags,
      informerCache: CACHES[mode],
    },
    ac.signal,
  );
  await allSynced;
  const syncMs = performance.now() - t0;
  const syncCpu = process.cpuUsage(cpu0);
  const afterSync = heap();
  say({
    phase: 'synced',
    syncMs,
    syncCpuMs: (syncCpu.user + syncCpu.system) / 1000,
    heapMiB: afterSync.heapMiB,
    heapGrowthMiB: afterSync.heapMiB - base.heapMiB,
    rssMiB: afterSync.rssMiB,
  });
  const lines = createInterface({ input: process.stdin });
  let from = process.cpuUsage();
  let fromUpdates = 0;
  for await (const line of lines) {
    if (line === 'mark') {
      from = process.cpuUsage();
      fromUpdates = updates;
      say({ phase: 'marked' });
    } else if (line.startsWith('count ')) {
      const want = Number(line.slice(6));
      const deadline = Date.now() + 120_000;
      while (updates - fromUpdates < want && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      // The controllers' own reactions to the updates finish shortly after the last one.
      await new Promise((r) => setTimeout(r, 1000));
      const used = process.cpuUsage(from);
      say({
        phase: 'events',
        updates: updates - fromUpdates,
        cpuMs: (used.user + used.system) / 1000,
        ...heap(),
      });
    } else if (line === 'stop') break;
  }
  ac.abort();
  await done;
  transport.close();
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
