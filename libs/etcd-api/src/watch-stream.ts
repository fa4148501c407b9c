// One Watch RPC: many watchers multiplexed on one bidirectional stream, as etcd does. Each
// watcher's store iterator is pumped into the stream; when the stream's send buffer is full the
// pumps wait for 'drain' and reading requests pauses, so nothing is buffered without bound here
// (the store's own per-watcher buffer is bounded and cancels a watcher whose client lags).
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { WatchResponse, Watcher } from '@flotilla/store';
import type { EtcdBackend } from './backend';
import type { EtcdApiLogger } from './rpc-handlers';
import { HeaderFor, int, nonNegative } from './wire-convert';
import { BatchedStreamWriter } from './batched-stream-writer';
import { EncodedMessage, encodeWatchEvents } from './wire-encoder';
import type { WireWatchCreateRequest, WireWatchRequest, WireWatchResponse } from './wire-types';

export interface WatchStreamOptions {
  maxWatchersPerStream: number;
  /** How often a pending progress request re-checks whether every watcher has caught up. */
  progressRetryMs: number;
  /** After this long a progress request is answered even if some watcher is still catching up. */
  progressMaxWaitMs: number;
}

const FILTER_NOPUT = 0;
const FILTER_NODELETE = 1;
/** etcd answers a progress request with watch_id -1: it concerns every watcher of the stream. */
const STREAM_WIDE_ID = -1;

export class WatchStream {
  private readonly watchers = new Map<number, Watcher>();
  private nextId = 0;
  private closed = false;
  private drained: Promise<void> | undefined;
  private releaseDrain: (() => void) | undefined;
  private progressTimer: NodeJS.Timeout | undefined;
  private progressDeadline = 0;
  private out!: BatchedStreamWriter<WireWatchResponse | EncodedMessage>;

  constructor(
    private readonly call: ServerDuplexStream<WireWatchRequest, WireWatchResponse | EncodedMessage>,
    private readonly backend: EtcdBackend,
    private readonly header: HeaderFor,
    /** The same header, encoded (shared by the watchers of every stream of this server). */
    private readonly encodedHeader: (revision: number) => Buffer,
    private readonly log: EtcdApiLogger,
    private readonly options: WatchStreamOptions,
    /** The Watch method's response serializer (for the batched writer). */
    private readonly serialize: (message: WireWatchResponse | EncodedMessage) => Buffer,
  ) {}

  start(): void {
    this.out = new BatchedStreamWriter(this.call, this.serialize, (err) => {
      this.log.warn('etcd-api: watch stream write failed', { error: err });
      this.close();
    });
    this.call.on('data', (req: WireWatchRequest) => this.onRequest(req));
    for (const event of ['cancelled', 'error', 'close', 'finish']) {
      this.call.on(event, () => this.close());
    }
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  private onRequest(req: WireWatchRequest): void {
    if (this.closed) return;
    try {
      if (req.create_request !== undefined) this.create(req.create_request);
      else if (req.cancel_request !== undefined) this.cancel(int(req.cancel_request.watch_id));
      else if (req.progress_request !== undefined) this.requestProgress();
    } catch (err) {
      this.log.warn('etcd-api: watch request failed', { error: err as Error });
    }
  }

  private create(c: WireWatchCreateRequest): void {
    // An empty key means "from the smallest key"; range_end "\0" means "every key >= key".
    const key = c.key !== undefined && c.key.length > 0 ? c.key : Buffer.from([0]);
    const rangeEnd = c.range_end ?? Buffer.alloc(0);
    const requested = int(c.watch_id);
    const refuse = (id: number, reason: string) =>
      this.write({
        header: this.header(),
        watch_id: id,
        created: true,
        canceled: true,
        cancel_reason: reason,
        events: [],
      });
    if (requested !== 0 && this.watchers.has(requested)) {
      return void refuse(requested, 'mvcc: duplicate watch ID provided on the WatchStream');
    }
    const emptyRange =
      rangeEnd.length > 0 &&
      !(rangeEnd.length === 1 && rangeEnd[0] === 0) &&
      Buffer.compare(key, rangeEnd) >= 0;
    if (emptyRange)
      return void refuse(requested === 0 ? -1 : requested, 'mvcc: watcher range is empty');
    if (this.watchers.size >= this.options.maxWatchersPerStream) {
      return void refuse(
        requested === 0 ? -1 : requested,
        `etcdserver: too many watchers on one stream (max ${this.options.maxWatchersPerStream})`,
      );
    }
    const id = requested !== 0 ? requested : this.assignId();
    const filters = c.filters ?? [];
    let watcher: Watcher;
    try {
      watcher = this.backend.watch({
        key,
        rangeEnd,
        startRevision: nonNegative(c.start_revision),
        prevKv: c.prev_kv === true,
        progressNotify: c.progress_notify === true,
        filters: {
          noPut: filters.includes(FILTER_NOPUT),
          noDelete: filters.includes(FILTER_NODELETE),
        },
      });
    } catch (err) {
      return void refuse(id, err instanceof Error ? err.message : String(err));
    }
    this.watchers.set(id, watcher);
    this.write({ header: this.header(), watch_id: id, created: true, events: [] });
    void this.pump(id, watcher);
  }

  private assignId(): number {
    while (this.watchers.has(this.nextId)) this.nextId++;
    return this.nextId++;
  }

  private cancel(id: number): void {
    const watcher = this.watchers.get(id);
    if (watcher === undefined) return;
    this.watchers.delete(id);
    watcher.cancel();
    this.write({ header: this.header(), watch_id: id, canceled: true, events: [] });
  }

  private async pump(id: number, watcher: Watcher): Promise<void> {
    try {
      for await (const resp of watcher) {
        if (this.closed || this.watchers.get(id) !== watcher) break;
        this.write(this.toWire(id, resp));
        if (resp.canceled) break;
        await this.drained;
      }
    } catch (err) {
      this.log.warn('etcd-api: watcher ended with an error', { watchId: id, error: err as Error });
    } finally {
      if (this.watchers.get(id) === watcher) this.watchers.delete(id);
    }
  }

  private toWire(id: number, resp: WatchResponse): WireWatchResponse | EncodedMessage {
    if (!resp.canceled && resp.progressNotify !== true) {
      // Events are encoded once for all the watchers that receive them.
      return encodeWatchEvents(this.encodedHeader(resp.header.revision), id, resp.events);
    }
    const out: WireWatchResponse = {
      header: this.header(resp.header.revision),
      watch_id: id,
      events: [],
    };
    if (resp.canceled) {
      out.canceled = true;
      out.cancel_reason = resp.cancelReason ?? '';
      if (resp.compactRevision !== undefined) out.compact_revision = resp.compactRevision;
    }
    return out;
  }

  /**
   * Answers once every watcher has delivered everything up to the current revision, so the
   * revision we report is one the client has truly seen all events below.
   */
  private requestProgress(): void {
    if (this.progressTimer !== undefined) return;
    this.progressDeadline = Date.now() + this.options.progressMaxWaitMs;
    this.tryProgress();
  }

  private tryProgress(): void {
    this.progressTimer = undefined;
    if (this.closed) return;
    const caughtUp = [...this.watchers.values()].every((w) => w.group !== 'unsynced' && w.idle);
    if (!caughtUp && Date.now() < this.progressDeadline) {
      this.progressTimer = setTimeout(() => this.tryProgress(), this.options.progressRetryMs);
      return;
    }
    this.write({ header: this.header(), watch_id: STREAM_WIDE_ID, events: [] });
  }

  private write(msg: WireWatchResponse | EncodedMessage): void {
    if (this.closed) return;
    let ok: boolean;
    try {
      ok = this.out.write(msg);
    } catch (err) {
      this.log.warn('etcd-api: watch stream write failed', { error: err as Error });
      this.close();
      return;
    }
    if (!ok && this.drained === undefined) {
      this.call.pause();
      this.drained = new Promise<void>((resolve) => {
        this.releaseDrain = () => {
          this.drained = undefined;
          this.releaseDrain = undefined;
          if (!this.closed) this.call.resume();
          resolve();
        };
        this.out.onDrain(() => this.releaseDrain?.());
      });
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.progressTimer !== undefined) clearTimeout(this.progressTimer);
    for (const w of this.watchers.values()) w.cancel();
    this.watchers.clear();
    this.releaseDrain?.();
  }
}
