// A transport a test can cut off (every call fails as an unreachable master would, open watches
// break) and heal, or whose watches it can break at will, around the real one: the control loops
// of libs/client are tried over the same REST client production uses.
import {
  HttpTransport,
  KubeClient,
  NotSentError,
  type RestRequest,
  type RestResponse,
  type StreamOpening,
  type Transport,
} from '@flotilla/client';

export class FaultyTransport implements Transport {
  private static readonly made = new Set<KubeClient>();
  private cutOff = false;
  private readonly open = new Set<(err: Error) => void>();

  constructor(private readonly inner: Transport) {}

  /** A KubeClient over HTTP to `server` through a FaultyTransport (no rate limit). */
  static client(server: string): { client: KubeClient; faults: FaultyTransport } {
    const faults = new FaultyTransport(new HttpTransport({ endpoints: [{ server }], rounds: 1 }));
    const client = new KubeClient({ transport: faults, component: 'test', rateLimit: false });
    FaultyTransport.made.add(client);
    return { client, faults };
  }

  /** Closes every client `client()` made (their pooled connections and pings). */
  static closeAll(): void {
    for (const c of FaultyTransport.made) c.close();
    FaultyTransport.made.clear();
  }

  cut(): void {
    this.cutOff = true;
    this.dropWatches();
  }

  heal(): void {
    this.cutOff = false;
  }

  /** Breaks every open watch stream, as a lost connection would; returns how many. */
  dropWatches(): number {
    const n = this.open.size;
    for (const fail of [...this.open]) fail(new Error('connection reset by the test'));
    return n;
  }

  async request(req: RestRequest): Promise<RestResponse> {
    this.refuseIfCut();
    const res = await this.inner.request(req);
    this.refuseIfCut();
    return res;
  }

  async stream(req: RestRequest, onData: (chunk: Buffer) => void): Promise<StreamOpening> {
    this.refuseIfCut();
    let broken = false;
    const opening = await this.inner.stream(req, (chunk) => {
      if (!broken) onData(chunk);
    });
    if (opening.kind !== 'stream') return opening;
    const inner = opening.stream;
    let reject!: (err: Error) => void;
    const breaking = new Promise<never>((_, r) => (reject = r));
    const fail = (err: Error) => {
      broken = true;
      this.open.delete(fail);
      inner.stop();
      reject(err);
    };
    this.open.add(fail);
    const done = Promise.race([inner.done, breaking]).finally(() => this.open.delete(fail));
    return { kind: 'stream', stream: { endpoint: inner.endpoint, stop: () => inner.stop(), done } };
  }

  describe(): string {
    return this.inner.describe();
  }

  close(): void {
    this.inner.close();
  }

  private refuseIfCut(): void {
    if (this.cutOff) throw new NotSentError(this.inner.describe(), 'cut off by the test');
  }
}
