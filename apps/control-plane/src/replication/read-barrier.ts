/** Observations for metrics: how long each caller waited, and barriers that failed. */
export interface ReadBarrierObserver {
  served(seconds: number): void;
  failed(): void;
}

/** What the Raft driver offers (RaftNode): its linearizable read barrier. */
export interface ReadIndexSource {
  readBarrier(timeoutMs: number): Promise<void>;
}

export interface ReadBarrierOptions {
  /** The longest a caller waits, from its own call. */
  timeoutMs: number;
  observer?: ReadBarrierObserver;
  /** Milliseconds, monotonic; injected by tests. */
  now?: () => number;
}

/**
 * The master's linearizable read barrier: every read of the etcd and Kubernetes APIs, and the
 * readiness check, waits here, so the wait and its failures are measured in one place.
 */
export class ReadBarrier {
  private readonly now: () => number;

  constructor(
    private readonly source: ReadIndexSource,
    private readonly opts: ReadBarrierOptions,
  ) {
    this.now = opts.now ?? (() => performance.now());
  }

  /** Resolves once this member has applied everything committed before the call. */
  async wait(): Promise<void> {
    const since = this.now();
    try {
      await this.source.readBarrier(this.opts.timeoutMs);
    } catch (err) {
      this.opts.observer?.failed();
      throw err;
    }
    this.opts.observer?.served((this.now() - since) / 1000);
  }
}
