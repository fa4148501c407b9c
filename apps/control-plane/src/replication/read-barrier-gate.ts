import { RaftNodeError } from '@flotilla/raft-node';

/** Observations for metrics: how long each caller waited, and barriers that failed. */
export interface ReadBarrierObserver {
  served(seconds: number): void;
  failed(): void;
}

export interface ReadBarrierGateOptions {
  /** The longest any caller waits, from its own call. */
  timeoutMs: number;
  observer?: ReadBarrierObserver;
  /** Milliseconds, monotonic; injected by tests. */
  now?: () => number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  since: number;
  timer: NodeJS.Timeout;
  settled: boolean;
}

/**
 * The master's one way to a linearizable read barrier (the Raft driver's readBarrier): every
 * read of the etcd and Kubernetes APIs, and the readiness check, pass here.
 *
 * At most one barrier is in flight; callers that arrive meanwhile share the next one, which
 * starts when it ends. So a caller is only ever served by a barrier that began after it did,
 * whatever the driver batches underneath: the driver's read rounds, when asked again, have let
 * an answer to a request sent before a barrier began serve that barrier (a stale read after a
 * leader pause; libs/raft-node/test/read-barrier-order.spec.ts). It also means a storm of
 * readiness probes costs one barrier at a time, not one each.
 */
export class ReadBarrierGate {
  private running = false;
  private queued: Waiter[] = [];
  private readonly now: () => number;

  constructor(
    private readonly barrier: (timeoutMs: number) => Promise<void>,
    private readonly opts: ReadBarrierGateOptions,
  ) {
    this.now = opts.now ?? (() => performance.now());
  }

  /** Resolves once this member has applied everything committed before the call. */
  wait(): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        since: this.now(),
        settled: false,
        timer: setTimeout(() => {
          waiter.settled = true;
          // The driver's own error, so the APIs map it as they map its timeouts.
          reject(new RaftNodeError('timeout', 'raft: read index timed out'));
        }, this.opts.timeoutMs),
      };
      this.queued.push(waiter);
      this.pump();
    });
  }

  /** Callers waiting, in flight or queued (for tests and diagnostics). */
  get waiting(): number {
    return this.queued.length + (this.running ? 1 : 0);
  }

  private pump(): void {
    if (this.running) return;
    const batch = this.queued.filter((w) => !w.settled);
    this.queued = [];
    if (batch.length === 0) return;
    this.running = true;
    this.barrier(this.opts.timeoutMs).then(
      () => this.finish(batch, undefined),
      (err: unknown) => this.finish(batch, err instanceof Error ? err : new Error(String(err))),
    );
  }

  private finish(batch: readonly Waiter[], err: Error | undefined): void {
    if (err) this.opts.observer?.failed();
    const now = this.now();
    for (const w of batch) {
      if (w.settled) continue;
      w.settled = true;
      clearTimeout(w.timer);
      if (err) {
        w.reject(err);
      } else {
        this.opts.observer?.served((now - w.since) / 1000);
        w.resolve();
      }
    }
    this.running = false;
    this.pump();
  }
}
