import type { WorkQueue } from './work-queue';

export interface RunWorkersOptions<T> {
  /** Retries per item before it is dropped (default: retry for ever, as most controllers do). */
  maxRetries?: number;
  /** Told of every failed sync (to log it); `dropped` when the item will not be retried. */
  onError?: (err: unknown, item: T, dropped: boolean) => void;
}

/**
 * Runs `n` workers over `queue` until it shuts down: each takes an item, runs `sync(item)`, then
 * forgets its back-off on success or re-adds it rate-limited on failure. Resolves when every
 * worker has stopped (after shutDown, once the queue is empty and in-flight syncs have ended).
 */
export async function runWorkers<T>(
  queue: WorkQueue<T>,
  n: number,
  sync: (item: T) => Promise<void> | void,
  opts: RunWorkersOptions<T> = {},
): Promise<void> {
  const worker = async () => {
    for (;;) {
      const next = await queue.get();
      if (next.shutdown) return;
      const item = next.item;
      try {
        await sync(item);
        queue.forget(item);
      } catch (err) {
        const dropped = opts.maxRetries !== undefined && queue.numRequeues(item) >= opts.maxRetries;
        try {
          opts.onError?.(err, item, dropped);
        } catch {
          // A failing error callback must not kill the worker.
        }
        if (dropped) queue.forget(item);
        else queue.addRateLimited(item);
      } finally {
        queue.done(item);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, n) }, worker));
}
