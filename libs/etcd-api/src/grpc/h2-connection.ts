// The server side of one HTTP/2 connection over cleartext TCP with prior knowledge (h2c), as
// gRPC clients speak it: frames in, streams out, flow control both ways. Everything written in
// one turn of the event loop leaves in one socket write, so a unary answer (headers, message and
// trailers) reaches the client as one segment, where node:http2 sends the trailers in a later
// turn of its own.
import type { Socket } from 'node:net';
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  FRAME_HEADER_BYTES,
  ACK,
  Flag,
  FrameType,
  H2Error,
  MAX_WINDOW,
  Setting,
  frame,
  goAwayFrame,
  rstStreamFrame,
  settingsFrame,
  windowUpdateFrame,
  writeFrameHeader,
} from './h2-frames';
import { DEFAULT_FLOOD_LIMITS, FloodGuard, FloodKind, FloodLimits } from './h2-flood-guard';
import { HpackDecoder, HpackError } from './hpack-decoder';
import { H2Stream } from './h2-stream';

export interface H2ConnectionOptions {
  /** The receive window we offer per stream (SETTINGS_INITIAL_WINDOW_SIZE). */
  streamWindow: number;
  /** The receive window we offer for the whole connection. */
  connectionWindow: number;
  /**
   * SETTINGS_MAX_HEADER_LIST_SIZE: the decoded size of a request's header list (RFC 9113
   * 6.5.2). A larger one is decoded (the HPACK table must stay in step) but not kept, and the
   * stream is answered as too large; a compressed block over twice this ends the connection.
   */
  maxHeaderListBytes: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS: streams past it are refused with REFUSED_STREAM. */
  maxConcurrentStreams: number;
  /** A stream's write() says "wait" once this much output is buffered for it. */
  highWaterMark: number;
  /** Budgets for frames that ask for nothing; past one the connection ends (ENHANCE_YOUR_CALM). */
  floodLimits?: FloodLimits;
  /** Milliseconds, for the flood budgets (Date.now by default; tests hold it still). */
  now?: () => number;
  /** A failure of ours, not the peer's (a handler that threw): the stream it hit is reset. */
  onInternalError?: (err: unknown) => void;
}

/** Called for each new stream; the callee sets `stream.handler`. */
export type StreamDispatcher = (stream: H2Stream, connection: H2Connection) => void;

class ConnectionError extends Error {
  constructor(
    readonly code: H2Error,
    message: string,
  ) {
    super(message);
  }
}

const KEEPALIVE_IDLE_MS = 60_000;
const EMPTY = Buffer.alloc(0);
/** Output up to this size is joined into one buffer; more goes out as one writev, uncopied. */
const SMALL_WRITE_BYTES = 16 * 1024;
/** DATA payloads up to this size are copied into their frame; larger ones go out as they are. */
const COPY_DATA_BELOW = 4096;
/**
 * A header block may span this many CONTINUATION frames: a block at its size limit needs a
 * handful of full frames, so a longer chain is a peer stalling us with fragments.
 */
const MAX_CONTINUATION_FRAMES = 128;
/**
 * While a peer leaves this many times the high-water mark of our output unread, we stop reading
 * from it: a client that floods requests (or PINGs) without reading the answers stalls itself
 * instead of growing our buffers.
 */
const UNREAD_OUTPUT_FACTOR = 4;

export class H2Connection {
  private readonly streams = new Map<number, H2Stream>();
  private readonly hpack: HpackDecoder;
  private readonly flood: FloodGuard;
  private input: Buffer | undefined;
  private prefaceSeen = false;
  private lastStreamId = 0;
  /** After GOAWAY: streams above this id are refused. */
  private acceptUpTo = MAX_WINDOW;
  /** A header block split over CONTINUATION frames. */
  private continuation:
    | {
        streamId: number;
        flags: number;
        parts: Buffer[];
        bytes: number;
        frames: number;
        selfDependent: boolean;
      }
    | undefined;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  private sendWindow = DEFAULT_WINDOW;
  /** How many bytes of DATA the peer may still send on the connection (the window we offered). */
  private receiveWindow: number;
  private connectionUnacknowledged = 0;
  /** Streams with DATA held back by flow control. */
  private readonly blocked = new Set<H2Stream>();
  /** Streams whose write() said "wait" and that have not heard 'drain' yet. */
  private readonly owedDrain = new Set<H2Stream>();
  private out: Buffer[] = [];
  private outBytes = 0;
  /** To run once the socket has taken everything queued so far. */
  private outReleases: Array<() => void> = [];
  private flushScheduled = false;
  private closed = false;
  private goingAway = false;
  /** We stopped reading because the peer leaves our output unread. */
  private readingPaused = false;
  private onIdle: (() => void) | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly dispatch: StreamDispatcher,
    private readonly opts: H2ConnectionOptions,
  ) {
    this.hpack = new HpackDecoder(4096, opts.maxHeaderListBytes);
    this.flood = new FloodGuard(opts.floodLimits ?? DEFAULT_FLOOD_LIMITS, opts.now ?? Date.now);
    this.receiveWindow = Math.max(DEFAULT_WINDOW, opts.connectionWindow);
    socket.setNoDelay(true);
    // A client that vanished without a FIN (host gone, cable cut) is found and its streams
    // (watches above all) ended, instead of holding them for good.
    socket.setKeepAlive(true, KEEPALIVE_IDLE_MS);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.onSocketDrain());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.onClose());
    this.queue(
      settingsFrame([
        [Setting.MaxConcurrentStreams, opts.maxConcurrentStreams],
        [Setting.InitialWindowSize, opts.streamWindow],
        [Setting.MaxHeaderListSize, opts.maxHeaderListBytes],
      ]),
    );
    if (opts.connectionWindow > DEFAULT_WINDOW) {
      this.queue(windowUpdateFrame(0, opts.connectionWindow - DEFAULT_WINDOW));
    }
  }

  get activeStreams(): number {
    return this.streams.size;
  }

  /** Sends the response headers of a stream. */
  sendHeaders(stream: H2Stream, block: Buffer): void {
    if (stream.localClosed || stream.headersSent) return;
    stream.headersSent = true;
    // As grpc-go: a peer's PINGs are fair while we send it something (its BDP probes).
    this.flood.forgive('ping');
    this.queue(this.headersFrame(stream.id, 0, block));
  }

  /**
   * Queues DATA on a stream, as far as the windows allow now; the rest waits for them. The
   * payload is sent from as it is: the caller must not change it afterwards.
   */
  sendData(stream: H2Stream, payload: Buffer, release?: () => void): boolean {
    if (stream.localClosed || this.closed) return true;
    this.flood.forgive('ping');
    if (stream.pendingBytes > 0) {
      stream.pending.push({ data: payload, release });
      stream.pendingBytes += payload.length;
    } else {
      const sent = this.emitData(stream, payload);
      if (sent < payload.length) {
        const rest = payload.subarray(sent);
        stream.pending.push({ data: rest, release });
        stream.pendingBytes += rest.length;
        this.blocked.add(stream);
      } else if (release !== undefined) this.afterWrite(release);
    }
    return this.writable(stream);
  }

  /**
   * Ends the stream with a trailers block, after any DATA still held back. Headers, DATA and
   * trailers queued in the same turn go out in one write.
   */
  sendTrailers(stream: H2Stream, block: Buffer): void {
    if (stream.localClosed || stream.pendingTrailers !== undefined) return;
    if (stream.pendingBytes > 0) {
      stream.pendingTrailers = block;
      return;
    }
    this.finishStream(stream, block);
  }

  /**
   * The whole unary answer in one buffer when it fits in one DATA frame: headers, message,
   * trailers. `release` runs once the message buffer is no longer needed.
   */
  sendUnary(
    stream: H2Stream,
    headers: Buffer,
    message: Buffer,
    trailers: Buffer,
    release?: () => void,
  ): void {
    if (stream.localClosed || this.closed) return;
    const payload = message.length;
    if (
      stream.headersSent ||
      payload > this.peerMaxFrame ||
      payload > stream.sendWindow ||
      payload > this.sendWindow
    ) {
      this.sendHeaders(stream, headers);
      this.sendData(stream, message, release);
      this.sendTrailers(stream, trailers);
      return;
    }
    stream.headersSent = true;
    this.flood.forgive('ping');
    const size = 3 * FRAME_HEADER_BYTES + headers.length + payload + trailers.length;
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    writeFrameHeader(out, at, headers.length, FrameType.Headers, Flag.EndHeaders, stream.id);
    at += FRAME_HEADER_BYTES + headers.copy(out, at + FRAME_HEADER_BYTES);
    writeFrameHeader(out, at, payload, FrameType.Data, 0, stream.id);
    at += FRAME_HEADER_BYTES + message.copy(out, at + FRAME_HEADER_BYTES);
    const flags = Flag.EndHeaders | Flag.EndStream;
    writeFrameHeader(out, at, trailers.length, FrameType.Headers, flags, stream.id);
    trailers.copy(out, at + FRAME_HEADER_BYTES);
    stream.sendWindow -= payload;
    this.sendWindow -= payload;
    this.queue(out);
    release?.(); // copied above
    this.closeLocal(stream);
  }

  /** Abandons a stream (RST_STREAM). */
  reset(stream: H2Stream, code: H2Error): void {
    if (stream.localClosed) return;
    stream.localClosed = true;
    stream.remoteClosed = true;
    this.queue(rstStreamFrame(stream.id, code));
    this.forget(stream);
  }

  /** Whether more output for this stream may be buffered now. */
  writable(stream: H2Stream): boolean {
    const ok =
      stream.pendingBytes + this.outBytes + this.socket.writableLength < this.opts.highWaterMark;
    if (!ok) this.owedDrain.add(stream);
    return ok;
  }

  pause(stream: H2Stream): void {
    stream.paused = true;
  }

  resume(stream: H2Stream): void {
    if (!stream.paused) return;
    stream.paused = false;
    this.acknowledge(stream, 0);
  }

  /**
   * Stops taking new streams (GOAWAY); `onIdle` runs once the streams in flight have ended.
   */
  goAway(onIdle: () => void): void {
    this.onIdle = onIdle;
    if (!this.goingAway && !this.closed) {
      this.goingAway = true;
      this.acceptUpTo = this.lastStreamId;
      this.queue(goAwayFrame(this.lastStreamId, H2Error.NoError));
    }
    this.maybeIdle();
  }

  destroy(): void {
    this.socket.destroy();
  }

  // --- input ---

  private receive(chunk: Buffer): void {
    let buf = this.input === undefined ? chunk : Buffer.concat([this.input, chunk]);
    this.input = undefined;
    try {
      if (!this.prefaceSeen) {
        if (buf.length < CLIENT_PREFACE.length) {
          if (!CLIENT_PREFACE.subarray(0, buf.length).equals(buf)) {
            throw new ConnectionError(H2Error.ProtocolError, 'not an HTTP/2 client preface');
          }
          this.input = buf;
          return;
        }
        if (!buf.subarray(0, CLIENT_PREFACE.length).equals(CLIENT_PREFACE)) {
          throw new ConnectionError(H2Error.ProtocolError, 'not an HTTP/2 client preface');
        }
        this.prefaceSeen = true;
        buf = buf.subarray(CLIENT_PREFACE.length);
      }
      let at = 0;
      while (!this.closed && buf.length - at >= FRAME_HEADER_BYTES) {
        const length = (buf[at] << 16) | (buf[at + 1] << 8) | buf[at + 2];
        if (length > DEFAULT_MAX_FRAME) {
          throw new ConnectionError(
            H2Error.FrameSizeError,
            'frame larger than SETTINGS_MAX_FRAME_SIZE',
          );
        }
        if (buf.length - at < FRAME_HEADER_BYTES + length) break;
        const type = buf[at + 3];
        const flags = buf[at + 4];
        const streamId = buf.readUInt32BE(at + 5) & 0x7fffffff;
        const payload = buf.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length);
        at += FRAME_HEADER_BYTES + length;
        this.onFrame(type, flags, streamId, payload);
      }
      if (at < buf.length && !this.closed) this.input = Buffer.from(buf.subarray(at));
    } catch (err) {
      if (err instanceof ConnectionError) this.fail(err.code, err.message);
      else if (err instanceof HpackError) this.fail(H2Error.CompressionError, err.message);
      else {
        // Our own fault, not the peer's: the connection ends, the process goes on serving.
        this.opts.onInternalError?.(err);
        this.fail(H2Error.InternalError, 'internal error');
      }
    }
  }

  private onFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.continuation !== undefined && type !== FrameType.Continuation) {
      throw new ConnectionError(H2Error.ProtocolError, 'expected CONTINUATION');
    }
    switch (type) {
      case FrameType.Data:
        return this.onDataFrame(flags, streamId, payload);
      case FrameType.Headers:
        return this.onHeadersFrame(flags, streamId, payload);
      case FrameType.Continuation:
        return this.onContinuation(flags, streamId, payload);
      case FrameType.RstStream:
        return this.onRstStream(streamId, payload);
      case FrameType.Settings:
        return this.onSettings(flags, streamId, payload);
      case FrameType.Ping:
        return this.onPing(flags, streamId, payload);
      case FrameType.GoAway:
        if (streamId !== 0) throw new ConnectionError(H2Error.ProtocolError, 'GOAWAY on a stream');
        if (payload.length < 8) throw new ConnectionError(H2Error.FrameSizeError, 'GOAWAY size');
        this.goingAway = true;
        this.acceptUpTo = Math.min(this.acceptUpTo, this.lastStreamId);
        return this.maybeIdle();
      case FrameType.WindowUpdate:
        return this.onWindowUpdate(streamId, payload);
      case FrameType.Priority:
        return this.onPriority(streamId, payload);
      case FrameType.PushPromise:
        throw new ConnectionError(H2Error.ProtocolError, 'PUSH_PROMISE from a client');
      default:
        // Unknown frame types are ignored (RFC 9113 5.5), within the budget of frames that ask
        // for nothing.
        return this.spend('noop');
    }
  }

  private onDataFrame(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(H2Error.ProtocolError, 'DATA on stream 0');
    const data = flags & Flag.Padded ? unpad(payload) : payload;
    // The whole frame, padding included, counts against the windows (RFC 9113 6.9.1), and
    // against the connection's even when the stream is gone.
    this.receiveWindow -= payload.length;
    if (this.receiveWindow < 0) {
      throw new ConnectionError(H2Error.FlowControlError, 'DATA beyond the connection window');
    }
    if (this.isIdle(streamId)) {
      throw new ConnectionError(H2Error.ProtocolError, `DATA on idle stream ${streamId}`);
    }
    const end = (flags & Flag.EndStream) !== 0;
    if (payload.length === 0 && !end) this.spend('noop');
    const stream = this.streams.get(streamId);
    // A stream we reset or finished: what the client had already sent is dropped (RFC 9113 5.1).
    if (stream === undefined || stream.remoteClosed) {
      this.creditConnection(payload.length);
      if (stream !== undefined) this.resetByPeerError(stream, H2Error.StreamClosed);
      return;
    }
    stream.receiveWindow -= payload.length;
    if (stream.receiveWindow < 0) {
      this.creditConnection(payload.length);
      return this.resetByPeerError(stream, H2Error.FlowControlError);
    }
    if (end) {
      stream.remoteClosed = true;
      this.creditConnection(payload.length);
    } else this.acknowledge(stream, payload.length);
    this.deliver(stream, data, end);
    if (end) this.maybeForget(stream);
  }

  private onHeadersFrame(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(H2Error.ProtocolError, 'HEADERS on stream 0');
    let block = flags & Flag.Padded ? unpad(payload) : payload;
    let selfDependent = false;
    if (flags & Flag.Priority) {
      if (block.length < 5) throw new ConnectionError(H2Error.FrameSizeError, 'HEADERS priority');
      selfDependent = (block.readUInt32BE(0) & 0x7fffffff) === streamId;
      block = block.subarray(5);
    }
    if (flags & Flag.EndHeaders) return this.onHeaderBlock(streamId, flags, block, selfDependent);
    if (block.length === 0) this.spend('noop');
    this.checkHeaderBlockBytes(block.length);
    this.continuation = {
      streamId,
      flags,
      parts: [block],
      bytes: block.length,
      frames: 1,
      selfDependent,
    };
  }

  private onContinuation(flags: number, streamId: number, payload: Buffer): void {
    const c = this.continuation;
    if (c === undefined || c.streamId !== streamId) {
      throw new ConnectionError(H2Error.ProtocolError, 'unexpected CONTINUATION');
    }
    const last = (flags & Flag.EndHeaders) !== 0;
    if (payload.length === 0 && !last) this.spend('noop');
    if (++c.frames > MAX_CONTINUATION_FRAMES) {
      throw new ConnectionError(H2Error.EnhanceYourCalm, 'header block in too many frames');
    }
    if (payload.length > 0) c.parts.push(payload);
    c.bytes += payload.length;
    this.checkHeaderBlockBytes(c.bytes);
    if (last) {
      this.continuation = undefined;
      this.onHeaderBlock(streamId, c.flags, Buffer.concat(c.parts, c.bytes), c.selfDependent);
    }
  }

  /** A compressed block can only be this large if its header list is far over the limit. */
  private checkHeaderBlockBytes(bytes: number): void {
    if (bytes > 2 * this.opts.maxHeaderListBytes) {
      throw new ConnectionError(H2Error.EnhanceYourCalm, 'header block too large');
    }
  }

  private onHeaderBlock(
    streamId: number,
    flags: number,
    block: Buffer,
    selfDependent: boolean,
  ): void {
    // Decoded even when the stream is refused: the table is shared with the client's encoder.
    const { headers, oversize } = this.hpack.decodeBlock(block);
    const end = (flags & Flag.EndStream) !== 0;
    const existing = this.streams.get(streamId);
    if (existing !== undefined) {
      // Trailers from the client end its side of the stream; anything else is malformed.
      if (existing.remoteClosed) return this.resetByPeerError(existing, H2Error.StreamClosed);
      if (!end || selfDependent) return this.resetByPeerError(existing, H2Error.ProtocolError);
      existing.remoteClosed = true;
      this.deliver(existing, EMPTY, true);
      this.maybeForget(existing);
      return;
    }
    if (streamId % 2 === 0) {
      throw new ConnectionError(H2Error.ProtocolError, `stream ${streamId} is even`);
    }
    if (streamId <= this.lastStreamId) {
      // Trailers on a stream we already reset or finished are dropped (RFC 9113 5.1).
      if (end) return;
      throw new ConnectionError(H2Error.ProtocolError, `stream ${streamId} reused`);
    }
    this.lastStreamId = streamId;
    if (streamId > this.acceptUpTo || this.streams.size >= this.opts.maxConcurrentStreams) {
      // Not processed at all, so the client may retry it (RFC 9113 5.1.2, 8.7).
      return this.refuse(streamId, H2Error.RefusedStream);
    }
    if (selfDependent) return this.refuse(streamId, H2Error.ProtocolError);
    const stream = new H2Stream(
      streamId,
      headers,
      this.peerInitialWindow,
      this.opts.streamWindow,
      oversize,
    );
    this.streams.set(streamId, stream);
    if (end) stream.remoteClosed = true;
    try {
      this.dispatch(stream, this);
    } catch (err) {
      this.opts.onInternalError?.(err);
      this.reset(stream, H2Error.InternalError);
      return;
    }
    if (end) this.deliver(stream, EMPTY, true);
    this.maybeForget(stream);
  }

  private onRstStream(streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(H2Error.ProtocolError, 'RST_STREAM on stream 0');
    if (payload.length !== 4) throw new ConnectionError(H2Error.FrameSizeError, 'RST_STREAM size');
    if (this.isIdle(streamId)) {
      throw new ConnectionError(H2Error.ProtocolError, `RST_STREAM on idle stream ${streamId}`);
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    // Cancelling work we are still doing is what a rapid-reset attack repeats.
    this.spend('reset');
    stream.remoteClosed = true;
    stream.localClosed = true;
    this.forget(stream);
    this.abortHandler(stream);
  }

  private onPing(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new ConnectionError(H2Error.ProtocolError, 'PING on a stream');
    if (payload.length !== 8) throw new ConnectionError(H2Error.FrameSizeError, 'PING size');
    this.spend('ping');
    if ((flags & ACK) === 0) this.queue(frame(FrameType.Ping, ACK, 0, payload));
  }

  private onPriority(streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(H2Error.ProtocolError, 'PRIORITY on stream 0');
    this.spend('noop');
    const stream = this.streams.get(streamId);
    // Priorities are not acted on (RFC 9113 5.3.2); only malformed ones end their stream.
    if (payload.length !== 5) {
      if (stream !== undefined) this.resetByPeerError(stream, H2Error.FrameSizeError);
      return;
    }
    if ((payload.readUInt32BE(0) & 0x7fffffff) === streamId && stream !== undefined) {
      this.resetByPeerError(stream, H2Error.ProtocolError);
    }
  }

  private onSettings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new ConnectionError(H2Error.ProtocolError, 'SETTINGS on a stream');
    if (flags & ACK) {
      if (payload.length !== 0) {
        throw new ConnectionError(H2Error.FrameSizeError, 'SETTINGS ACK with a payload');
      }
      return;
    }
    if (payload.length % 6 !== 0)
      throw new ConnectionError(H2Error.FrameSizeError, 'SETTINGS size');
    this.spend('settings');
    for (let i = 0; i < payload.length; i += 6) {
      const id = payload.readUInt16BE(i);
      const value = payload.readUInt32BE(i + 2);
      if (id === Setting.InitialWindowSize) {
        if (value > MAX_WINDOW) throw new ConnectionError(H2Error.FlowControlError, 'window');
        const delta = value - this.peerInitialWindow;
        this.peerInitialWindow = value;
        for (const s of this.streams.values()) s.sendWindow += delta;
      } else if (id === Setting.MaxFrameSize) {
        if (value < DEFAULT_MAX_FRAME || value > 0xffffff) {
          throw new ConnectionError(H2Error.ProtocolError, 'SETTINGS_MAX_FRAME_SIZE');
        }
        this.peerMaxFrame = value;
      } else if (id === Setting.EnablePush && value > 1) {
        throw new ConnectionError(H2Error.ProtocolError, 'SETTINGS_ENABLE_PUSH');
      }
      // Header table size: our responses never use the dynamic table. Push: we never push.
    }
    this.queue(frame(FrameType.Settings, ACK, 0, EMPTY));
    this.flushBlocked();
  }

  private onWindowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) throw new ConnectionError(H2Error.FrameSizeError, 'WINDOW_UPDATE');
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (streamId === 0) {
      if (increment === 0) throw new ConnectionError(H2Error.ProtocolError, 'zero increment');
      this.sendWindow += increment;
      if (this.sendWindow > MAX_WINDOW) {
        throw new ConnectionError(H2Error.FlowControlError, 'connection window overflow');
      }
    } else {
      if (this.isIdle(streamId)) {
        throw new ConnectionError(H2Error.ProtocolError, `WINDOW_UPDATE on idle ${streamId}`);
      }
      const stream = this.streams.get(streamId);
      if (stream === undefined) return;
      if (increment === 0 || stream.sendWindow + increment > MAX_WINDOW) {
        const code = increment === 0 ? H2Error.ProtocolError : H2Error.FlowControlError;
        return this.resetByPeerError(stream, code);
      }
      stream.sendWindow += increment;
    }
    this.flushBlocked();
  }

  /** A stream the client has not opened yet (RFC 9113 5.1: frames on it are an error). */
  private isIdle(streamId: number): boolean {
    return streamId > this.lastStreamId || streamId % 2 === 0;
  }

  /**
   * Gives received bytes back to the client as window, unless the stream is paused: then they
   * are held back on the connection too, so what paused streams buffer is bounded by the
   * connection window, not by the number of streams.
   */
  private acknowledge(stream: H2Stream, bytes: number): void {
    stream.unacknowledged += bytes;
    if (stream.paused) {
      stream.connectionCreditHeld += bytes;
      return;
    }
    this.creditConnection(bytes + stream.connectionCreditHeld);
    stream.connectionCreditHeld = 0;
    if (stream.remoteClosed) return;
    if (
      stream.unacknowledged >= this.opts.streamWindow / 2 ||
      (bytes === 0 && stream.unacknowledged > 0)
    ) {
      this.queue(windowUpdateFrame(stream.id, stream.unacknowledged));
      stream.receiveWindow += stream.unacknowledged;
      stream.unacknowledged = 0;
    }
  }

  /** Returns received bytes to the connection window, in updates of half of it at least. */
  private creditConnection(bytes: number): void {
    this.connectionUnacknowledged += bytes;
    if (this.connectionUnacknowledged >= this.opts.connectionWindow / 2) {
      this.queue(windowUpdateFrame(0, this.connectionUnacknowledged));
      this.receiveWindow += this.connectionUnacknowledged;
      this.connectionUnacknowledged = 0;
    }
  }

  /** Takes a frame from the peer's budget of its kind; a peer past it is flooding. */
  private spend(kind: FloodKind): void {
    if (!this.flood.take(kind)) {
      throw new ConnectionError(H2Error.EnhanceYourCalm, `${kind} flood`);
    }
  }

  /** Ends a stream the client broke the protocol on (a stream error, RFC 9113 5.4.2). */
  private resetByPeerError(stream: H2Stream, code: H2Error): void {
    this.reset(stream, code);
    this.abortHandler(stream);
  }

  /** Answers a stream that was never opened with RST_STREAM: each one costs the peer budget. */
  private refuse(streamId: number, code: H2Error): void {
    this.spend('reset');
    this.queue(rstStreamFrame(streamId, code));
  }

  /** Hands request bytes to the stream's handler; a handler that throws loses its stream only. */
  private deliver(stream: H2Stream, data: Buffer, end: boolean): void {
    try {
      stream.handler?.onData(data, end);
    } catch (err) {
      this.opts.onInternalError?.(err);
      this.reset(stream, H2Error.InternalError);
      this.abortHandler(stream);
    }
  }

  private abortHandler(stream: H2Stream): void {
    try {
      stream.handler?.onAbort();
    } catch (err) {
      this.opts.onInternalError?.(err);
    }
  }

  // --- output ---

  /** Sends as much of `payload` as the windows allow now; returns how much went. */
  private emitData(stream: H2Stream, payload: Buffer): number {
    let sent = 0;
    while (sent < payload.length) {
      const room = Math.min(stream.sendWindow, this.sendWindow, this.peerMaxFrame);
      if (room <= 0) break;
      const n = Math.min(room, payload.length - sent);
      const piece = payload.subarray(sent, sent + n);
      if (n <= COPY_DATA_BELOW) this.queue(frame(FrameType.Data, 0, stream.id, piece));
      else {
        // Large payloads are not copied again: the frame header goes out beside them.
        const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
        writeFrameHeader(header, 0, n, FrameType.Data, 0, stream.id);
        this.queue(header);
        this.queue(piece);
      }
      stream.sendWindow -= n;
      this.sendWindow -= n;
      sent += n;
    }
    return sent;
  }

  private flushBlocked(): void {
    for (const stream of this.blocked) {
      if (this.sendWindow <= 0) break;
      while (stream.pending.length > 0) {
        const head = stream.pending[0];
        const sent = this.emitData(stream, head.data);
        stream.pendingBytes -= sent;
        if (sent < head.data.length) {
          head.data = head.data.subarray(sent);
          break;
        }
        stream.pending.shift();
        if (head.release !== undefined) this.afterWrite(head.release);
      }
      if (stream.pending.length === 0) {
        this.blocked.delete(stream);
        if (stream.pendingTrailers !== undefined) this.finishStream(stream, stream.pendingTrailers);
      }
    }
    this.notifyDrain();
  }

  private finishStream(stream: H2Stream, trailers: Buffer): void {
    stream.pendingTrailers = undefined;
    this.queue(this.headersFrame(stream.id, Flag.EndStream, trailers));
    this.closeLocal(stream);
  }

  /** Our side is done; a client still sending is told to stop (as gRPC servers do). */
  private closeLocal(stream: H2Stream): void {
    stream.localClosed = true;
    if (!stream.remoteClosed) {
      stream.remoteClosed = true;
      this.queue(rstStreamFrame(stream.id, H2Error.NoError));
    }
    this.forget(stream);
  }

  private headersFrame(streamId: number, flags: number, block: Buffer): Buffer {
    if (block.length <= this.peerMaxFrame) {
      return frame(FrameType.Headers, flags | Flag.EndHeaders, streamId, block);
    }
    const parts: Buffer[] = [];
    for (let at = 0; at < block.length; at += this.peerMaxFrame) {
      const piece = block.subarray(at, at + this.peerMaxFrame);
      const last = at + this.peerMaxFrame >= block.length;
      const type = at === 0 ? FrameType.Headers : FrameType.Continuation;
      parts.push(
        frame(type, (at === 0 ? flags : 0) | (last ? Flag.EndHeaders : 0), streamId, piece),
      );
    }
    return Buffer.concat(parts);
  }

  private queue(buf: Buffer): void {
    if (this.closed) return;
    this.out.push(buf);
    this.outBytes += buf.length;
    this.scheduleFlush();
  }

  private afterWrite(release: () => void): void {
    if (this.closed) return;
    this.outReleases.push(release);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed) return;
    const out = this.out;
    const bytes = this.outBytes;
    const releases = this.outReleases;
    this.out = [];
    this.outBytes = 0;
    this.outReleases = [];
    // Write callbacks come in order: the last one means every earlier write is done too.
    const done =
      releases.length === 0
        ? undefined
        : (err?: Error | null) => {
            // After a failed write the socket is going away: nothing is reused then.
            if (err || this.closed) return;
            for (const release of releases) release();
          };
    if (out.length === 0) {
      if (done !== undefined) this.socket.write(EMPTY, done);
      return;
    }
    if (out.length === 1) this.socket.write(out[0], done);
    else if (bytes <= SMALL_WRITE_BYTES) this.socket.write(Buffer.concat(out, bytes), done);
    else {
      this.socket.cork();
      for (let i = 0; i < out.length - 1; i++) this.socket.write(out[i]);
      this.socket.write(out[out.length - 1], done);
      this.socket.uncork();
    }
    const unread = this.socket.writableLength;
    if (unread === 0) this.notifyDrain();
    else if (unread > UNREAD_OUTPUT_FACTOR * this.opts.highWaterMark && !this.readingPaused) {
      // 'drain' follows: the socket took more than its own high-water mark.
      this.readingPaused = true;
      this.socket.pause();
    }
  }

  private onSocketDrain(): void {
    if (this.readingPaused) {
      this.readingPaused = false;
      this.socket.resume();
    }
    this.notifyDrain();
  }

  private notifyDrain(): void {
    for (const stream of this.owedDrain) {
      if (this.writable(stream)) {
        this.owedDrain.delete(stream);
        stream.handler?.onDrain();
      }
    }
  }

  // --- lifecycle ---

  private maybeForget(stream: H2Stream): void {
    if (stream.localClosed && stream.remoteClosed) this.forget(stream);
  }

  private forget(stream: H2Stream): void {
    // Bytes a paused stream held back are no longer waited on.
    this.creditConnection(stream.connectionCreditHeld);
    stream.connectionCreditHeld = 0;
    // What was held back is not sent now; its buffers are free once what did go is written.
    for (const p of stream.pending.splice(0))
      if (p.release !== undefined) this.afterWrite(p.release);
    stream.pendingBytes = 0;
    this.streams.delete(stream.id);
    this.blocked.delete(stream);
    this.owedDrain.delete(stream);
    this.maybeIdle();
  }

  private maybeIdle(): void {
    if (this.goingAway && this.streams.size === 0 && this.onIdle !== undefined) {
      const onIdle = this.onIdle;
      this.onIdle = undefined;
      // Let the last answers leave first.
      process.nextTick(() => {
        this.flush();
        this.socket.end();
        onIdle();
      });
    }
  }

  private fail(code: H2Error, message: string): void {
    if (this.closed) return;
    this.queue(goAwayFrame(this.lastStreamId, code, message));
    this.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.abortAll();
  }

  private onClose(): void {
    this.abortAll();
    this.socket.destroy();
  }

  private abortAll(): void {
    if (this.closed) return;
    this.closed = true;
    this.out = [];
    this.outBytes = 0;
    // Buffers whose bytes may still sit in a cancelled write are left to the GC, not reused.
    this.outReleases = [];
    const streams = [...this.streams.values()];
    this.streams.clear();
    this.blocked.clear();
    this.owedDrain.clear();
    for (const s of streams) {
      s.localClosed = true;
      s.remoteClosed = true;
      this.abortHandler(s);
    }
    const onIdle = this.onIdle;
    this.onIdle = undefined;
    onIdle?.();
  }
}

/** The data of a PADDED frame (pad length byte first, padding last). */
function unpad(payload: Buffer): Buffer {
  if (payload.length === 0) throw new ConnectionError(H2Error.ProtocolError, 'padded frame empty');
  const pad = payload[0];
  if (pad >= payload.length) throw new ConnectionError(H2Error.ProtocolError, 'padding too long');
  return payload.subarray(1, payload.length - pad);
}
