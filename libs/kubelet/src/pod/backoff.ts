// Per-key exponential back-off as the kubelet uses it for restarts (CrashLoopBackOff) and image
// pulls (ImagePullBackOff): the first retry is immediate, then 10 s doubling to a cap; a key left
// alone for resetAfterMs (the cap times two: 10 min for restarts) starts again from the beginning.
// Pure: time is passed in.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Since the last retry; Kubernetes' 2 × max. */
  resetAfterMs: number;
}

export const CRASH_LOOP_BACKOFF: BackoffOptions = {
  initialMs: 10_000,
  maxMs: 300_000,
  resetAfterMs: 600_000,
};

export const IMAGE_PULL_BACKOFF: BackoffOptions = CRASH_LOOP_BACKOFF;

/**
 * A pod whose sandbox cannot be made (a CNI plugin failing, the runtime refusing) is tried again
 * after 2 s doubling to a minute, not on every relist and resync: each failed RunPodSandbox can
 * cost the runtime a network namespace and a CNI call.
 */
export const SANDBOX_BACKOFF: BackoffOptions = {
  initialMs: 2_000,
  maxMs: 60_000,
  resetAfterMs: 120_000,
};

interface Entry {
  delayMs: number;
  lastRetryAt: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: BackoffOptions = CRASH_LOOP_BACKOFF) {}

  /**
   * Whether a retry of key for a failure at failedAt must still wait at time now; undefined when
   * it may go ahead, else the time it may.
   */
  waitUntil(key: string, failedAt: number, now: number): number | undefined {
    const e = this.live(key, now);
    if (!e) return undefined;
    const until = failedAt + e.delayMs;
    return now < until ? until : undefined;
  }

  /** Records a retry at now: the next failure of key waits longer. */
  retried(key: string, now: number): void {
    const e = this.live(key, now);
    const delayMs = e ? Math.min(e.delayMs * 2, this.options.maxMs) : this.options.initialMs;
    this.entries.set(key, { delayMs, lastRetryAt: now });
  }

  /** The wait the next failure of key gets (0 when there is no entry), for messages. */
  delayOf(key: string, now: number): number {
    return this.live(key, now)?.delayMs ?? 0;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  /** Drops the entries of keys starting with prefix (a pod that went away). */
  forgetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && now - e.lastRetryAt > this.options.resetAfterMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }
}
