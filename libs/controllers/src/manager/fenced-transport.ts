// A view of the master's transport that stops working the moment a term of leadership ends:
// requests not yet sent fail, open watches end. A controller that is still inside a sync when
// the lease is lost cannot send another write afterwards (one already on its way may still land,
// as with any client; the next leader's resourceVersion preconditions settle that).
import {
  NotSentError,
  type RestRequest,
  type RestResponse,
  type RestStream,
  type StreamOpening,
  type Transport,
} from '@flotilla/client';

export class FencedTransport implements Transport {
  private fenced = false;
  private readonly open = new Set<RestStream>();

  constructor(
    private readonly inner: Transport,
    private readonly reason = 'this master no longer holds the lease',
  ) {}

  get isFenced(): boolean {
    return this.fenced;
  }

  /** From now on nothing goes through; open streams are stopped. */
  fence(): void {
    if (this.fenced) return;
    this.fenced = true;
    for (const s of this.open) s.stop();
    this.open.clear();
  }

  describe(): string {
    return this.inner.describe();
  }

  async request(req: RestRequest): Promise<RestResponse> {
    this.check();
    return this.inner.request(req);
  }

  async stream(req: RestRequest, onData: (chunk: Buffer) => void): Promise<StreamOpening> {
    this.check();
    const opening = await this.inner.stream(req, (chunk) => {
      if (!this.fenced) onData(chunk);
    });
    if (opening.kind === 'stream') {
      const { stream } = opening;
      if (this.fenced) stream.stop();
      else {
        this.open.add(stream);
        void stream.done.finally(() => this.open.delete(stream)).catch(() => undefined);
      }
    }
    return opening;
  }

  /** Fences; the inner transport belongs to the master and stays open. */
  close(): void {
    this.fence();
  }

  private check(): void {
    if (this.fenced) throw new NotSentError(this.inner.describe(), `fenced: ${this.reason}`);
  }
}
