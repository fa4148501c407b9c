// The loop every controller here runs: wait for its informers, then work its queue with a number
// of workers until the term's signal aborts; then stop taking keys and unhook its handlers.
import {
  runWorkers,
  WorkQueue,
  type HandlerRegistration,
  type SharedInformer,
} from '@flotilla/client';
import type { KubeObject } from '@flotilla/api';
import type { ControllerContext } from '../controller';

export interface QueueLoop {
  queue: WorkQueue<string>;
  informers: SharedInformer<KubeObject>[];
  handlers: HandlerRegistration[];
  workers: number;
  sync: (key: string) => Promise<void>;
}

/** Makes the queue of a controller named `name`, with the manager's clock and metrics. */
export function controllerQueue(ctx: ControllerContext, name: string): WorkQueue<string> {
  return new WorkQueue<string>({ name, clock: ctx.clock, registry: ctx.metrics });
}

export async function runQueueLoop(
  ctx: ControllerContext,
  signal: AbortSignal,
  loop: QueueLoop,
): Promise<void> {
  const stop = () => {
    loop.queue.shutDown();
    for (const h of loop.handlers) h.remove();
  };
  if (signal.aborted) return stop();
  signal.addEventListener('abort', stop, { once: true });
  const synced = await waitForSync(loop.informers, signal);
  if (!synced || signal.aborted) return stop();
  await runWorkers(loop.queue, loop.workers, loop.sync, {
    onError: (err, key) => {
      if (!signal.aborted) ctx.log.warn('sync failed; will retry', { key, error: String(err) });
    },
  });
}

async function waitForSync(informers: SharedInformer<KubeObject>[], signal: AbortSignal) {
  const results = await Promise.all(informers.map((i) => i.waitForSync({ signal })));
  return results.every(Boolean);
}
