import { RaftNodeError } from '@flotilla/raft-node';

/** Observations for metrics: how long each caller waited, and barriers that failed. */
export interface ReadBarrierObserver {
  served(seconds: number): void;
  failed(): void;
}

/** What the Raft driver offers (RaftNode): its barrier, and how often it asked a round again. */
export interface ReadIndexSource {
  readBarrier(timeoutMs: number): Promise<void>;
  /** Read rounds asked again under a new request (no answer in time, a leader change). */
  readonly readRetries: number;
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
 * readiness check, waits here.
 *
 * The driver batches concurrent barriers into read rounds, and a round that is asked again (no
 * answer within a few ticks, a leader change) takes in the barriers queued since; an answer to
 * the round's earlier request, sent before they began, then serves them too, at an index older
 * than writes they must see (a stale read after a leader pause; the test
 * libs/raft-node/test/read-barrier-order.spec.ts). Until the driver keeps, per request, which
 * barriers it may serve, a barrier here that saw the driver ask a round again while it waited is
 * not trusted: it is taken again. Only a round asked again can take in a waiting barrier, so a
 * barrier that completed with no retry meanwhile was served by a request sent after it began.
 * That costs nothing while rounds are answered in time, and one more round around faults.
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
    const deadline = since + this.opts.timeoutMs;
    for (;;) {
      const left = Math.ceil(deadline - this.now());
      if (left <= 0) {
        this.opts.observer?.failed();
        throw new RaftNodeError('timeout', 'raft: read index timed out');
      }
      const retriesBefore = this.source.readRetries;
      try {
        await this.source.readBarrier(left);
      } catch (err) {
        this.opts.observer?.failed();
        throw err;
      }
      if (this.source.readRetries === retriesBefore) break;
    }
    this.opts.observer?.served((this.now() - since) / 1000);
  }
}
