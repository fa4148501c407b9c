// The messages of one server stream, written to HTTP/2 in batches: every message queued in one
// turn goes out as one write of gRPC frames back to back, so a watch stream notifying a hundred
// watchers of one revision sends one DATA frame, not a hundred (and the client takes apart one).
//
// It needs a call that takes bytes already framed as gRPC messages (our GrpcServerCall); with
// any other call it falls back to one call.write per message.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { MESSAGE_PREFIX_BYTES, writeMessagePrefix } from './grpc/message-prefix';

interface FramedWriter {
  writeFramed(framed: Buffer, messages: number): boolean;
  sendMetadata(): void;
  once(event: 'drain', listener: () => void): unknown;
  cancelled: boolean;
}

function framedWriterOf(call: object): FramedWriter | undefined {
  const c = call as Partial<FramedWriter>;
  return typeof c.writeFramed === 'function' ? (c as FramedWriter) : undefined;
}

/** A batch goes out at once when it reaches this size, so a burst never queues without bound. */
const MAX_BATCH_BYTES = 64 * 1024;

/** Copies a message behind its gRPC prefix into `out` at `at`; returns where the next goes. */
function frame(bytes: Buffer, out: Buffer, at: number): number {
  writeMessagePrefix(out, at, bytes.length);
  bytes.copy(out, at + MESSAGE_PREFIX_BYTES);
  return at + MESSAGE_PREFIX_BYTES + bytes.length;
}

export class BatchedStreamWriter<T> {
  private readonly raw: FramedWriter | undefined;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;
  private backedUp = false;
  private drainListeners: Array<() => void> = [];
  private failed = false;

  constructor(
    private readonly call: ServerDuplexStream<unknown, T>,
    private readonly serialize: (message: T) => Buffer,
    private readonly onError: (err: Error) => void,
  ) {
    this.raw = framedWriterOf(call);
    // Response headers go out when the stream opens, before any event.
    this.raw?.sendMetadata();
  }

  /** Whether messages travel in batches (false: one call.write each). */
  get batching(): boolean {
    return this.raw !== undefined;
  }

  /** Queues a message; false when the stream is backed up (wait for onDrain before more). */
  write(message: T): boolean {
    if (this.raw === undefined) return this.call.write(message);
    if (this.failed) return true;
    const bytes = this.serialize(message);
    this.queue.push(bytes);
    this.queuedBytes += bytes.length + MESSAGE_PREFIX_BYTES;
    if (this.queuedBytes >= MAX_BATCH_BYTES) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      // A promise job queued behind the watchers notified with this one (they resume first and
      // join the batch), and ahead of the reply to the write that caused the events: that reply
      // takes several more promise jobs to reach its stream, so watchers hear of a change no
      // later than the writer does, as with etcd. (A nextTick would run only after all of them.)
      queueMicrotask(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
    return !this.backedUp;
  }

  onDrain(listener: () => void): void {
    if (this.raw === undefined) {
      this.call.once('drain', listener);
      return;
    }
    if (!this.backedUp) listener();
    else this.drainListeners.push(listener);
  }

  private flush(): void {
    const raw = this.raw!;
    if (this.queue.length === 0 || this.failed || raw.cancelled) return;
    const out = Buffer.allocUnsafe(this.queuedBytes);
    const messages = this.queue.length;
    let at = 0;
    for (const bytes of this.queue) at = frame(bytes, out, at);
    this.queue = [];
    this.queuedBytes = 0;
    let ok: boolean;
    try {
      ok = raw.writeFramed(out, messages);
    } catch (err) {
      this.failed = true;
      this.onError(err as Error);
      return;
    }
    if (!ok && !this.backedUp) {
      this.backedUp = true;
      raw.once('drain', () => {
        this.backedUp = false;
        const listeners = this.drainListeners;
        this.drainListeners = [];
        for (const l of listeners) l();
      });
    }
  }
}
