// The per-zone queue of nodes waiting for their NoExecute taint (Kubernetes'
// RateLimitedTimedQueue): nodes go in once, come out in order no faster than the zone's eviction
// rate, and a failed try comes back after the delay it asks for.
import type { Clock } from '@flotilla/client';

/** A token bucket of burst 1 (flowcontrol's TokenBucketRateLimiter), or one that never accepts. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    private readonly clock: Clock,
    readonly burst = 1,
  ) {
    this.tokens = qps > 0 ? burst : 0;
    this.last = clock.now();
  }

  tryAccept(): boolean {
    if (this.qps <= 0) return false;
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface Entry {
  name: string;
  uid: string;
  /** When it may be tried next (controller clock). */
  processAt: number;
  seq: number;
}

export type TryResult = { done: true } | { done: false; retryAfterMs: number };

export class RateLimitedTimedQueue {
  private readonly entries = new Map<string, Entry>();
  /**
   * Every node added and not removed since, processed or not: a node tainted once is not queued
   * again (and does not take a token again) until remove() says its state changed.
   */
  private readonly members = new Set<string>();
  private limiter: TokenBucket;
  private seq = 0;

  constructor(
    qps: number,
    private readonly clock: Clock,
  ) {
    this.limiter = new TokenBucket(qps, clock);
  }

  get qps(): number {
    return this.limiter.qps;
  }

  /** Nodes waiting to be tried. */
  get size(): number {
    return this.entries.size;
  }

  has(name: string): boolean {
    return this.members.has(name);
  }

  /** Queues `name` unless it was added and not removed since; true when added. */
  add(name: string, uid: string): boolean {
    if (this.members.has(name)) return false;
    this.members.add(name);
    this.entries.set(name, { name, uid, processAt: this.clock.now(), seq: this.seq++ });
    return true;
  }

  /** Forgets `name` (queued or processed); true when it was known. */
  remove(name: string): boolean {
    this.entries.delete(name);
    return this.members.delete(name);
  }

  /**
   * Changes the rate. When the old bucket is empty the new one starts empty too, so a rate
   * change is not a free token (Kubernetes' SwapLimiter with burst 1).
   */
  swapLimiter(qps: number): void {
    if (qps === this.limiter.qps) return;
    const next = new TokenBucket(qps, this.clock);
    if (qps > 0 && !this.limiter.tryAccept()) next.tryAccept();
    this.limiter = next;
  }

  /**
   * Tries the nodes that are due, in order, while the rate allows: `fn` says whether it is done
   * with a node (it leaves the queue) or when to try it again.
   */
  async try(fn: (name: string, uid: string) => Promise<TryResult>): Promise<void> {
    const now = this.clock.now();
    const due = [...this.entries.values()]
      .filter((e) => e.processAt <= now)
      .sort((a, b) => a.processAt - b.processAt || a.seq - b.seq);
    for (const e of due) {
      if (this.entries.get(e.name) !== e) continue; // removed or replaced meanwhile
      if (!this.limiter.tryAccept()) return;
      const r = await fn(e.name, e.uid);
      if (this.entries.get(e.name) !== e) continue;
      if (r.done)
        this.entries.delete(e.name); // still a member: not queued again until removed
      else e.processAt = this.clock.now() + r.retryAfterMs;
    }
  }
}
