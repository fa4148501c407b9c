// A watch that outlives its connection: when the stream breaks (the master died) or the server
// ends it (timeout, shutdown), it watches again from the last resourceVersion it delivered or
// heard in a bookmark. Every master numbers changes the same way (one replicated store), so the
// next master continues exactly where the last one stopped: nothing missed, nothing repeated.
import { ApiError, isPlainObject, KubeObject } from '@flotilla/api';
import type { ResourceOps, WatchEvent, WatchHandle, WatchOptions } from '../contract';
import { statusError } from './codec';

export interface ResumeOptions {
  /** Give up (done rejects) after this many failed attempts in a row (default 10). */
  maxFailures?: number;
  /** First pause after a failure; doubles per failure up to maxBackoffMs (default 50). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Deliver BOOKMARK events to onEvent too (they always advance the resume point). */
  deliverBookmarks?: boolean;
  /** Told each time the watch starts again, with why. */
  onResume?: (resourceVersion: string | undefined, reason: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface ResumableWatch extends WatchHandle {
  /** Where the watch would resume now. */
  resourceVersion(): string | undefined;
  /** How many times it started again. */
  resumes(): number;
}

export function watchWithResume<T extends KubeObject>(
  ops: Pick<ResourceOps<T>, 'watch'> & Partial<Pick<ResourceOps<T>, 'list'>>,
  opts: WatchOptions,
  onEvent: (e: WatchEvent<T>) => void,
  resume: ResumeOptions = {},
): ResumableWatch {
  const maxFailures = resume.maxFailures ?? 10;
  const backoffMs = resume.backoffMs ?? 50;
  const maxBackoffMs = resume.maxBackoffMs ?? 2000;
  const sleep = resume.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let rv = opts.resourceVersion;
  let stopped = false;
  let current: WatchHandle | undefined;
  let resumes = 0;

  const run = async (): Promise<void> => {
    // Without a starting point a resumed watch could skip what changed while it was down; a
    // one-item list names the current version to start from.
    if ((rv === undefined || rv === '') && ops.list) {
      const { labelSelector, fieldSelector } = opts;
      rv = (await ops.list({ labelSelector, fieldSelector, limit: 1 })).metadata.resourceVersion;
    }
    let failures = 0;
    let reason = '';
    for (let attempt = 0; !stopped; attempt++) {
      if (attempt > 0) {
        resumes++;
        resume.onResume?.(rv, reason);
      }
      let ended: ApiError | undefined;
      let heard = 0;
      try {
        current = await ops.watch(
          { ...opts, resourceVersion: rv, allowWatchBookmarks: opts.allowWatchBookmarks ?? true },
          (e) => {
            heard++;
            if (e.type === 'ERROR') {
              ended = isPlainObject(e.object) ? statusError(e.object) : undefined;
              return;
            }
            const v = e.object?.metadata?.resourceVersion;
            if (v) rv = v;
            if (e.type !== 'BOOKMARK' || resume.deliverBookmarks) onEvent(e);
          },
        );
        if (stopped) current.stop();
        await current.done;
        reason = 'the server ended the watch';
        if (heard > 0) failures = 0;
        // A server that ends watches at once must not make this loop spin.
        else if (!stopped) await sleep(backoffMs);
      } catch (err) {
        if (stopped) return;
        if (err instanceof ApiError && err.code === 410) throw err;
        if (++failures >= maxFailures) throw err;
        reason = (err as Error).message;
        await sleep(Math.min(maxBackoffMs, backoffMs * 2 ** (failures - 1)));
      }
      if (ended) {
        if (ended.code === 410) throw ended;
        if (++failures >= maxFailures) throw ended;
        reason = ended.message;
      }
    }
  };

  const done = run();
  done.catch(() => undefined);
  return {
    stop() {
      stopped = true;
      current?.stop();
    },
    done,
    resourceVersion: () => rv,
    resumes: () => resumes,
  };
}
