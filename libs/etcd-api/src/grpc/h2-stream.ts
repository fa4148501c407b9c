// One HTTP/2 stream of a server connection: its flow-control windows and what waits to be sent
// on it. The connection owns the frames; the gRPC call above sees a `StreamHandler`.
import type { HeaderList } from './hpack-decoder';

/** What the layer above a stream hears from it. */
export interface StreamHandler {
  /** Request bytes (DATA payload); `end` once the client has half-closed. */
  onData(chunk: Buffer, end: boolean): void;
  /** The client reset the stream or the connection went away before the stream ended. */
  onAbort(): void;
  /** Buffered output fell below the high-water mark after write() said to wait. */
  onDrain(): void;
}

export interface PendingData {
  data: Buffer;
  /** Runs once the socket has taken the last byte of the payload this is the rest of. */
  release?: () => void;
}

export class H2Stream {
  handler: StreamHandler | undefined;
  /** How many bytes of DATA the peer lets us send on this stream. */
  sendWindow: number;
  /** DATA payloads held back by flow control, oldest first. */
  readonly pending: PendingData[] = [];
  pendingBytes = 0;
  /** A trailers header block to send once `pending` is empty. */
  pendingTrailers: Buffer | undefined;
  headersSent = false;
  /** We sent END_STREAM or RST_STREAM. */
  localClosed = false;
  /** The client sent END_STREAM or RST_STREAM. */
  remoteClosed = false;
  /** How many bytes of DATA the client may still send on this stream (the window we offered). */
  receiveWindow: number;
  /** Received bytes not yet given back to the client as window. */
  unacknowledged = 0;
  /** Received bytes not yet given back as connection window (while the stream is paused). */
  connectionCreditHeld = 0;
  /** While paused, received bytes are not given back, so the client stops at its window. */
  paused = false;

  constructor(
    readonly id: number,
    readonly headers: HeaderList,
    initialSendWindow: number,
    initialReceiveWindow: number,
    /** The request's header list went past SETTINGS_MAX_HEADER_LIST_SIZE: `headers` is cut. */
    readonly headersTooLarge = false,
  ) {
    this.sendWindow = initialSendWindow;
    this.receiveWindow = initialReceiveWindow;
  }

  header(name: string): string | undefined {
    for (const [n, v] of this.headers) if (n === name) return v;
    return undefined;
  }
}
