// A SPDY/3.1 session over one connection, as Kubernetes' streaming uses it (moby/spdystream on the
// other end): streams opened with SYN_STREAM and accepted with SYN_REPLY, DATA with FIN as each
// side's half-close, RST_STREAM to abort, PING answered, GOAWAY to stop. Either role: the API
// server is the client toward a kubelet; tests run the server role as a stand-in runtime.
//
// No SPDY flow control: spdystream never sends WINDOW_UPDATE and ignores the ones it gets, so a
// sender that waited on windows would stall after 64 KiB. As there, TCP's window is what holds a
// fast writer back: write() returns false when the socket's buffer is full, and 'drain' follows.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  encodeFrame,
  FrameReader,
  GOAWAY_OK,
  GOAWAY_PROTOCOL_ERROR,
  MAX_FRAME_PAYLOAD,
  RST_CANCEL,
  RST_PROTOCOL_ERROR,
  RST_REFUSED_STREAM,
  SpdyProtocolError,
  type SpdyFrame,
} from './frames';
import { HeaderCompressor, HeaderDecompressor, type SpdyHeaders } from './header-block';

export type SpdyRole = 'client' | 'server';

/** How the peer's half of a stream ended. */
export type StreamEnd = 'fin' | 'reset' | 'closed';

export interface SpdySessionOptions {
  role: SpdyRole;
  /** Bytes read from the connection after the HTTP upgrade answer, before the session started. */
  head?: Buffer;
}

export class SpdyStream extends EventEmitter {
  /** The peer's SYN_REPLY headers (the client side of a stream); rejects when it never comes. */
  readonly replied: Promise<SpdyHeaders>;
  private settleReply!: { resolve: (h: SpdyHeaders) => void; reject: (e: Error) => void };
  private remoteEnd: StreamEnd | undefined;
  private localEnded = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    /** The SYN_STREAM's headers. */
    readonly headers: SpdyHeaders,
  ) {
    super();
    this.replied = new Promise<SpdyHeaders>((resolve, reject) => {
      this.settleReply = { resolve, reject };
    });
    this.replied.catch(() => undefined);
  }

  /** How the peer's half ended, or undefined while it may still send. */
  get ended(): StreamEnd | undefined {
    return this.remoteEnd;
  }

  get localClosed(): boolean {
    return this.localEnded;
  }

  /** Sends data; false when the connection's buffer is full (wait for the session's 'drain'). */
  write(data: Buffer): boolean {
    if (this.localEnded || this.remoteEnd === 'reset' || this.remoteEnd === 'closed') return false;
    let ok = true;
    for (let at = 0; at < data.length; at += MAX_FRAME_PAYLOAD) {
      const part = data.subarray(at, at + MAX_FRAME_PAYLOAD);
      ok = this.session.send({ type: 'data', streamId: this.id, fin: false, data: part }) && ok;
    }
    return ok;
  }

  /** Half-closes this side (an empty DATA frame with FIN): the peer reads end of input. */
  end(): void {
    if (this.localEnded) return;
    this.localEnded = true;
    if (this.remoteEnd !== 'reset' && this.remoteEnd !== 'closed') {
      this.session.send({ type: 'data', streamId: this.id, fin: true, data: Buffer.alloc(0) });
    }
    this.session.forgetIfDone(this);
  }

  /** Accepts a stream the peer opened (server side). */
  reply(headers: SpdyHeaders = {}): void {
    this.session.sendHeaders('syn_reply', this.id, headers, false);
  }

  /** Aborts both halves. */
  reset(status = RST_CANCEL): void {
    if (this.remoteEnd === 'closed') return;
    this.session.send({ type: 'rst_stream', streamId: this.id, status });
    this.localEnded = true;
    this.finishRemote('reset');
  }

  /** @internal */
  receiveData(data: Buffer, fin: boolean): void {
    if (this.remoteEnd) return;
    if (data.length > 0) this.emit('data', data);
    if (fin) this.finishRemote('fin');
  }

  /** @internal */
  receiveReply(headers: SpdyHeaders): void {
    this.settleReply.resolve(headers);
  }

  /** @internal */
  finishRemote(how: StreamEnd): void {
    if (how !== 'fin') this.localEnded = true;
    this.settleReply.reject(
      new Error(
        how === 'fin'
          ? 'the stream ended before its reply'
          : `the stream was ${how === 'reset' ? 'reset' : 'closed'} before its reply`,
      ),
    );
    if (this.remoteEnd) return;
    this.remoteEnd = how;
    this.emit('end', how);
    this.session.forgetIfDone(this);
  }
}

export class SpdySession extends EventEmitter {
  private readonly reader = new FrameReader();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private nextStreamId: number;
  private lastPeerStreamId = 0;
  private closedFlag = false;
  private goneAway = false;

  constructor(
    readonly socket: Duplex,
    private readonly options: SpdySessionOptions,
  ) {
    super();
    this.nextStreamId = options.role === 'client' ? 1 : 2;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.emit('drain'));
    socket.on('end', () => this.shutdown());
    socket.on('close', () => this.shutdown());
    socket.on('error', (err: Error) => this.shutdown(err));
    socket.resume();
    // After the caller had the chance to listen for 'stream'.
    const head = options.head;
    if (head && head.length > 0) process.nextTick(() => this.receive(head));
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Opens a stream (SYN_STREAM); its `replied` settles with the peer's SYN_REPLY. */
  openStream(headers: SpdyHeaders): SpdyStream {
    if (this.closedFlag || this.goneAway) throw new Error('the SPDY session is closed');
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = new SpdyStream(this, id, headers);
    this.streams.set(id, stream);
    this.sendHeaders('syn_stream', id, headers, false);
    return stream;
  }

  /** Ends the session politely: GOAWAY, then the connection's end. */
  close(): void {
    if (this.closedFlag) return;
    this.send({ type: 'goaway', lastGoodStreamId: this.lastPeerStreamId, status: GOAWAY_OK });
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
    this.shutdown();
  }

  /** Stops reading from the connection (back-pressure toward the peer). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** @internal */
  send(frame: SpdyFrame): boolean {
    if (this.closedFlag || this.socket.destroyed || this.socket.writableEnded) return false;
    return this.socket.write(encodeFrame(frame));
  }

  /** @internal Compression state is shared by all blocks in order: compress and send at once. */
  sendHeaders(
    kind: 'syn_stream' | 'syn_reply',
    id: number,
    headers: SpdyHeaders,
    fin: boolean,
  ): void {
    if (this.closedFlag) return;
    const headerBlock = this.compressor.compress(headers);
    this.send(
      kind === 'syn_stream'
        ? {
            type: kind,
            streamId: id,
            associatedTo: 0,
            priority: 0,
            fin,
            unidirectional: false,
            headerBlock,
          }
        : { type: kind, streamId: id, fin, headerBlock },
    );
  }

  /** @internal */
  forgetIfDone(stream: SpdyStream): void {
    if (stream.ended && stream.localClosed) this.streams.delete(stream.id);
  }

  private receive(chunk: Buffer): void {
    if (this.closedFlag) return;
    try {
      for (const frame of this.reader.push(chunk)) {
        this.handle(frame);
        if (this.closedFlag) return;
      }
    } catch (err) {
      if (!(err instanceof SpdyProtocolError)) throw err;
      this.send({
        type: 'goaway',
        lastGoodStreamId: this.lastPeerStreamId,
        status: GOAWAY_PROTOCOL_ERROR,
      });
      this.socket.end();
      this.shutdown(err);
    }
  }

  private isPeerId(id: number): boolean {
    return (id % 2 === 1) === (this.options.role === 'server');
  }

  private handle(frame: SpdyFrame): void {
    switch (frame.type) {
      case 'data':
        // Data of a stream already forgotten (reset here, or ended both ways) is dropped.
        this.streams.get(frame.streamId)?.receiveData(frame.data, frame.fin);
        return;
      case 'syn_stream': {
        // Always inflated, even when refused: the compression context must see every block.
        const headers = this.decompressor.decompress(frame.headerBlock);
        const id = frame.streamId;
        if (!this.isPeerId(id) || id <= this.lastPeerStreamId) {
          this.send({ type: 'rst_stream', streamId: id, status: RST_PROTOCOL_ERROR });
          return;
        }
        this.lastPeerStreamId = id;
        if (this.goneAway || this.listenerCount('stream') === 0) {
          this.send({ type: 'rst_stream', streamId: id, status: RST_REFUSED_STREAM });
          return;
        }
        const stream = new SpdyStream(this, id, headers);
        this.streams.set(id, stream);
        this.emit('stream', stream);
        if (frame.fin) stream.finishRemote('fin');
        return;
      }
      case 'syn_reply': {
        const headers = this.decompressor.decompress(frame.headerBlock);
        const stream = this.streams.get(frame.streamId);
        stream?.receiveReply(headers);
        if (frame.fin) stream?.finishRemote('fin');
        return;
      }
      case 'headers': {
        this.decompressor.decompress(frame.headerBlock);
        if (frame.fin) this.streams.get(frame.streamId)?.finishRemote('fin');
        return;
      }
      case 'rst_stream': {
        const stream = this.streams.get(frame.streamId);
        this.streams.delete(frame.streamId);
        stream?.finishRemote('reset');
        return;
      }
      case 'ping':
        // Ours come back with our parity (client odd, server even): the peer's are echoed.
        if (this.isPeerId(frame.id)) this.send(frame);
        else this.emit('pong', frame.id);
        return;
      case 'goaway':
        this.goneAway = true;
        this.emit('goaway', frame.status);
        return;
      case 'settings':
      case 'window_update':
      case 'unknown':
        return;
    }
  }

  private shutdown(err?: Error): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const stream of [...this.streams.values()]) stream.finishRemote('closed');
    this.streams.clear();
    this.emit('close', err);
  }
}
