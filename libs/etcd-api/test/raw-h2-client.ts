// An HTTP/2 client that writes whatever frames a test gives it and records every frame the
// server sends back: for the bytes on the wire that a real client would never send.
import { Socket, connect } from 'node:net';
import { CLIENT_PREFACE, Flag, FrameType, frame, literalField } from '../src/grpc/h2-frames';
import { HpackDecoder } from '../src/grpc/hpack-decoder';

export interface SeenFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

export class RawH2Client {
  readonly frames: SeenFrame[] = [];
  closed = false;
  private buf = Buffer.alloc(0);
  private readonly waiters = new Set<() => void>();
  /** Decodes the server's header blocks (it never uses the dynamic table, but keep one anyway). */
  private readonly hpack = new HpackDecoder();

  private constructor(private readonly socket: Socket) {
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => this.receive(d));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /** Connects and sends the preface and an empty SETTINGS frame. */
  static async connect(port: number): Promise<RawH2Client> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawH2Client(socket);
    client.send(CLIENT_PREFACE, frame(FrameType.Settings, 0, 0, Buffer.alloc(0)));
    return client;
  }

  send(...chunks: Buffer[]): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(chunks));
  }

  /** Stops reading what the server sends (it piles up in the server's buffers). */
  pauseReading(): void {
    this.socket.pause();
  }

  close(): void {
    this.socket.destroy();
  }

  /** The first frame (already seen or to come) that matches; fails after `ms`. */
  async waitFor(match: (f: SeenFrame) => boolean, what: string, ms = 10_000): Promise<SeenFrame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.frames.find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) {
        const seen = this.frames.map((f) => `${f.type}/${f.streamId}`).join(' ');
        throw new Error(`never saw ${what} (${this.closed ? 'closed' : 'timed out'}); saw ${seen}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The error code of the server's GOAWAY, once it comes. */
  async goAwayCode(ms = 10_000): Promise<number> {
    const f = await this.waitFor((x) => x.type === FrameType.GoAway, 'GOAWAY', ms);
    return f.payload.readUInt32BE(4);
  }

  /** The error code of the server's RST_STREAM on a stream, once it comes. */
  async resetCode(streamId: number, ms = 10_000): Promise<number> {
    const f = await this.waitFor(
      (x) => x.type === FrameType.RstStream && x.streamId === streamId,
      `RST_STREAM on ${streamId}`,
      ms,
    );
    return f.payload.readUInt32BE(0);
  }

  /** The fields of the stream's header block that carries END_STREAM (its trailers). */
  async trailers(streamId: number, ms = 10_000): Promise<Map<string, string>> {
    await this.waitFor(
      (x) =>
        x.type === FrameType.Headers && x.streamId === streamId && !!(x.flags & Flag.EndStream),
      `trailers on ${streamId}`,
      ms,
    );
    const fields = new Map<string, string>();
    for (const f of this.frames) {
      if (f.type !== FrameType.Headers || f.streamId !== streamId) continue;
      for (const [n, v] of this.hpack.decode(f.payload)) fields.set(n, v);
    }
    return fields;
  }

  /** The server's first SETTINGS frame, as id → value. */
  async settings(): Promise<Map<number, number>> {
    const f = await this.waitFor(
      (x) => x.type === FrameType.Settings && (x.flags & 1) === 0,
      'SETTINGS',
    );
    const out = new Map<number, number>();
    for (let i = 0; i + 6 <= f.payload.length; i += 6) {
      out.set(f.payload.readUInt16BE(i), f.payload.readUInt32BE(i + 2));
    }
    return out;
  }

  /** Resolves once the server has closed the connection. */
  async whenClosed(ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('the server kept the connection open');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.add(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  private receive(data: Buffer): void {
    this.buf = Buffer.concat([this.buf, data]);
    while (this.buf.length >= 9) {
      const length = this.buf.readUIntBE(0, 3);
      if (this.buf.length < 9 + length) break;
      this.frames.push({
        type: this.buf[3],
        flags: this.buf[4],
        streamId: this.buf.readUInt32BE(5) & 0x7fffffff,
        payload: Buffer.from(this.buf.subarray(9, 9 + length)),
      });
      this.buf = this.buf.subarray(9 + length);
    }
    this.wake();
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }
}

/** A gRPC request's header block (literal fields, no dynamic table). */
export function requestBlock(path: string, extra: Array<[string, string]> = []): Buffer {
  return Buffer.concat(
    [
      [':method', 'POST'],
      [':scheme', 'http'],
      [':path', path],
      [':authority', 'localhost'],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
      ...extra,
    ].map(([n, v]) => literalField(n, v)),
  );
}

/** A length-prefixed gRPC message. */
export function grpcMessage(body: Buffer): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.length, 1);
  return Buffer.concat([prefix, body]);
}

export function headersFrame(
  streamId: number,
  block: Buffer,
  flags: number = Flag.EndHeaders,
): Buffer {
  return frame(FrameType.Headers, flags, streamId, block);
}

export function dataFrame(streamId: number, payload: Buffer, flags: number = 0): Buffer {
  return frame(FrameType.Data, flags, streamId, payload);
}

/** HEADERS and one DATA frame with END_STREAM: a whole unary request. */
export function unaryRequest(
  streamId: number,
  path: string,
  body: Buffer,
  extra: Array<[string, string]> = [],
): Buffer {
  return Buffer.concat([
    headersFrame(streamId, requestBlock(path, extra)),
    dataFrame(streamId, grpcMessage(body), Flag.EndStream),
  ]);
}

export function rstStream(streamId: number, code: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code, 0);
  return frame(FrameType.RstStream, 0, streamId, payload);
}

export function ping(ack = false): Buffer {
  return frame(FrameType.Ping, ack ? 1 : 0, 0, Buffer.alloc(8));
}

/** A DATA or HEADERS payload with a pad length byte and `pad` zero bytes. */
export function padded(data: Buffer, pad: number): Buffer {
  return Buffer.concat([Buffer.from([pad]), data, Buffer.alloc(pad)]);
}
