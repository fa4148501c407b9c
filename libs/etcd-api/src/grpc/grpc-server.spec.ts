// Our gRPC server against grpc-js's client (and a raw socket where the bytes on the wire are the
// point): unary and streaming calls, flow control past the default windows, statuses, bad
// input, cancellation and graceful shutdown.
import { connect, Socket } from 'node:net';
import {
  Client,
  Metadata,
  ServerDuplexStream,
  ServerWritableStream,
  ServiceDefinition,
  ServiceError,
  credentials,
  status,
} from '@grpc/grpc-js';
import { GrpcServer } from './grpc-server';
import { CLIENT_PREFACE, Flag, FrameType, frame, literalField, settingsFrame } from './h2-frames';
import { HpackDecoder } from './hpack-decoder';

const identity = (b: Buffer): Buffer => b;
const method = (path: string, requestStream: boolean, responseStream: boolean) => ({
  path,
  requestStream,
  responseStream,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});
const service: ServiceDefinition = {
  Echo: method('/test.Svc/Echo', false, false),
  Slow: method('/test.Svc/Slow', false, false),
  Pooled: method('/test.Svc/Pooled', false, false),
  Download: method('/test.Svc/Download', false, true),
  Chat: method('/test.Svc/Chat', true, true),
};

const MAX_REQUEST = 512 * 1024;

type Callback = (err: unknown, value?: Buffer) => void;

describe('GrpcServer', () => {
  let server: GrpcServer;
  let port: number;
  let client: Client;
  let slow: { call: { on(e: string, f: () => void): void }; answer: (b: Buffer) => void }[];

  beforeEach(async () => {
    slow = [];
    server = new GrpcServer({ maxReceiveMessageBytes: MAX_REQUEST });
    server.addService(service, {
      Echo: (call: { request: Buffer }, callback: Callback) => {
        const text = call.request.toString();
        if (text === 'fail') callback({ code: status.NOT_FOUND, details: 'nöt found: 100%' });
        else if (text === 'throw') throw new Error('handler broke');
        else callback(null, call.request);
      },
      // An answer encoded into a pooled buffer: n KiB of the byte the request names.
      Pooled: (call: { request: Buffer }, callback: (err: unknown, value?: object) => void) => {
        const [fill, kib] = call.request.toString().split(' ').map(Number);
        const size = kib * 1024;
        callback(null, {
          encodeFramed: (take: (n: number) => Buffer) => {
            const out = take(5 + size).subarray(0, 5 + size);
            out[0] = 0;
            out.writeUInt32BE(size, 1);
            out.fill(fill, 5);
            return out;
          },
        });
      },
      Slow: (call: { on(e: string, f: () => void): void }, callback: Callback) =>
        slow.push({ call, answer: (b) => callback(null, b) }),
      Download: (call: ServerWritableStream<Buffer, Buffer>) => {
        const count = Number(call.request.toString());
        for (let i = 0; i < count; i++) call.write(Buffer.alloc(64 * 1024, i % 256));
        call.end();
      },
      Chat: (call: ServerDuplexStream<Buffer, Buffer>) => {
        call.on('data', (b: Buffer) => call.write(Buffer.concat([Buffer.from('re: '), b])));
        call.on('end', () => call.end());
      },
    });
    port = await server.listen('127.0.0.1', 0);
    client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  });

  afterEach(() => {
    client.close();
    server.forceShutdown();
  });

  const unary = (path: string, request: Buffer, c = client) =>
    new Promise<{ response?: Buffer; error?: ServiceError }>((resolve) =>
      c.makeUnaryRequest(path, identity, identity, request, new Metadata(), (error, response) =>
        resolve({ response, error: error ?? undefined }),
      ),
    );

  it('answers a unary call with headers, message and trailers in one segment', async () => {
    const socket = connect(port, '127.0.0.1');
    const block = Buffer.concat([
      literalField(':method', 'POST'),
      literalField(':scheme', 'http'),
      literalField(':path', '/test.Svc/Echo'),
      literalField('content-type', 'application/grpc'),
      literalField('te', 'trailers'),
    ]);
    const message = Buffer.from([0, 0, 0, 0, 5, ...Buffer.from('hello')]);
    socket.write(
      Buffer.concat([
        CLIENT_PREFACE,
        settingsFrame([]),
        frame(FrameType.Headers, Flag.EndHeaders, 1, block),
        frame(FrameType.Data, Flag.EndStream, 1, message),
      ]),
    );
    const frames = await readFramesOfStream(socket, 1);
    socket.destroy();
    expect(frames.map((f) => [f.type, f.flags & Flag.EndStream])).toEqual([
      [FrameType.Headers, 0],
      [FrameType.Data, 0],
      [FrameType.Headers, Flag.EndStream],
    ]);
    expect(new Set(frames.map((f) => f.chunk)).size).toBe(1);
    expect(frames[1].payload).toEqual(message);
    const decoder = new HpackDecoder();
    expect(decoder.decode(frames[0].payload)).toEqual([
      [':status', '200'],
      ['content-type', 'application/grpc'],
    ]);
    expect(decoder.decode(frames[2].payload)).toEqual([['grpc-status', '0']]);
  });

  it('serves concurrent unary calls, large ones beyond the client window included', async () => {
    const requests = Array.from({ length: 40 }, (_, i) =>
      i % 10 === 0 ? Buffer.alloc(300 * 1024, i) : Buffer.from(`request ${i}`),
    );
    const answers = await Promise.all(requests.map((r) => unary('/test.Svc/Echo', r)));
    // Buffer.equals: jest's deep equality takes seconds over 300 KiB.
    expect(answers.map((a, i) => a.response?.equals(requests[i]))).toEqual(
      requests.map(() => true),
    );
  });

  it('reuses a pooled answer buffer only once its bytes are on the wire', async () => {
    // 60 answers of 100-300 KiB at once, far beyond the client's windows: most wait in the
    // server for window updates; a buffer reused too early would show another answer's bytes.
    const asks = Array.from({ length: 60 }, (_, i) => ({ fill: i + 1, kib: 100 + (i % 3) * 100 }));
    const answers = await Promise.all(
      asks.map((a) => unary('/test.Svc/Pooled', Buffer.from(`${a.fill} ${a.kib}`))),
    );
    answers.forEach((a, i) => {
      const { fill, kib } = asks[i];
      expect(a.error).toBeUndefined();
      expect(a.response?.length).toBe(kib * 1024);
      expect(a.response?.equals(Buffer.alloc(kib * 1024, fill))).toBe(true);
    });
    // And again, now from the buffers the first round gave back.
    const again = await Promise.all(
      asks.map((a) => unary('/test.Svc/Pooled', Buffer.from(`${a.fill + 100} ${a.kib}`))),
    );
    again.forEach((a, i) =>
      expect(a.response?.equals(Buffer.alloc(asks[i].kib * 1024, asks[i].fill + 100))).toBe(true),
    );
  });

  it('sends statuses with their messages, percent-encoded on the wire', async () => {
    const { error } = await unary('/test.Svc/Echo', Buffer.from('fail'));
    expect(error?.code).toBe(status.NOT_FOUND);
    expect(error?.details).toBe('nöt found: 100%');
  });

  it('answers UNIMPLEMENTED, UNKNOWN and RESOURCE_EXHAUSTED and keeps serving', async () => {
    expect((await unary('/test.Svc/Nope', Buffer.from('x'))).error?.code).toBe(
      status.UNIMPLEMENTED,
    );
    const thrown = await unary('/test.Svc/Echo', Buffer.from('throw'));
    expect(thrown.error?.code).toBe(status.UNKNOWN);
    expect(thrown.error?.details).toContain('handler broke');
    const big = await unary('/test.Svc/Echo', Buffer.alloc(MAX_REQUEST + 1));
    expect(big.error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect((await unary('/test.Svc/Echo', Buffer.from('still here'))).response?.toString()).toBe(
      'still here',
    );
  });

  it('streams megabytes to a client in order, as its window opens', async () => {
    const call = client.makeServerStreamRequest(
      '/test.Svc/Download',
      identity,
      identity,
      Buffer.from('64'),
      new Metadata(),
    );
    const got: number[] = [];
    await new Promise<void>((resolve, reject) => {
      call.on('data', (b: Buffer) => {
        expect(b.length).toBe(64 * 1024);
        got.push(b[0]);
      });
      call.on('end', resolve);
      call.on('error', reject);
    });
    expect(got).toEqual(Array.from({ length: 64 }, (_, i) => i));
  });

  it('carries a bidirectional stream both ways until the client ends it', async () => {
    const call = client.makeBidiStreamRequest('/test.Svc/Chat', identity, identity);
    const got: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (b: Buffer) => got.push(b.toString()));
      call.on('end', resolve);
      call.on('error', reject);
    });
    for (const word of ['one', 'two', 'three']) call.write(Buffer.from(word));
    call.end();
    await done;
    expect(got).toEqual(['re: one', 're: two', 're: three']);
  });

  it('takes gzip-compressed requests', async () => {
    const gzipClient = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), {
      'grpc.default_compression_algorithm': 2,
    });
    const request = Buffer.from('compressible '.repeat(1000));
    const { response, error } = await unary('/test.Svc/Echo', request, gzipClient);
    gzipClient.close();
    expect(error).toBeUndefined();
    expect(response).toEqual(request);
  });

  it('tells the handler when the client cancels', async () => {
    const call = client.makeUnaryRequest(
      '/test.Svc/Slow',
      identity,
      identity,
      Buffer.from('x'),
      () => undefined,
    );
    await until(() => slow.length === 1);
    const cancelled = new Promise<void>((resolve) => slow[0].call.on('cancelled', resolve));
    call.cancel();
    await cancelled;
  });

  it('closes a connection that does not speak HTTP/2 and goes on serving others', async () => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.resume();
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => socket.on('close', resolve));
    expect((await unary('/test.Svc/Echo', Buffer.from('ok'))).response?.toString()).toBe('ok');
  });

  it.each([
    [
      'an HPACK index beyond the table',
      frame(FrameType.Headers, Flag.EndHeaders, 1, Buffer.from([0xff, 0x7f])),
      0x9,
    ],
    ['DATA on stream 0', frame(FrameType.Data, 0, 0, Buffer.from('x')), 0x1],
    [
      'a frame above SETTINGS_MAX_FRAME_SIZE',
      frame(FrameType.Data, 0, 1, Buffer.alloc(16_385)),
      0x6,
    ],
    [
      'a client stream id that is even',
      frame(FrameType.Headers, Flag.EndHeaders, 2, Buffer.from([0x83])),
      0x1,
    ],
    ['a PING of the wrong size', frame(FrameType.Ping, 0, 0, Buffer.alloc(7)), 0x6],
  ])('answers %s with GOAWAY and the right error code, and serves others', async (_, bad, code) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.write(Buffer.concat([CLIENT_PREFACE, settingsFrame([]), bad]));
    await new Promise((resolve) => socket.on('close', resolve));
    const goAway = framesIn(Buffer.concat(received)).find((f) => f.type === FrameType.GoAway);
    expect(goAway?.payload.readUInt32BE(4)).toBe(code);
    expect((await unary('/test.Svc/Echo', Buffer.from('ok'))).response?.toString()).toBe('ok');
  });

  it('on tryShutdown lets calls in flight finish, then reports done', async () => {
    const answer = unary('/test.Svc/Slow', Buffer.from('x'));
    await until(() => slow.length === 1);
    let done = false;
    server.tryShutdown(() => (done = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false);
    slow[0].answer(Buffer.from('finished'));
    expect((await answer).response?.toString()).toBe('finished');
    await until(() => done);
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error('condition not met in 5 s');
}

function framesIn(buf: Buffer): Array<{ type: number; payload: Buffer }> {
  const out: Array<{ type: number; payload: Buffer }> = [];
  for (let at = 0; at + 9 <= buf.length;) {
    const length = buf.readUIntBE(at, 3);
    out.push({ type: buf[at + 3], payload: buf.subarray(at + 9, at + 9 + length) });
    at += 9 + length;
  }
  return out;
}

interface SeenFrame {
  type: number;
  flags: number;
  payload: Buffer;
  /** Which socket read the frame ended in. */
  chunk: number;
}

/** The frames of one stream, up to the one with END_STREAM. */
function readFramesOfStream(socket: Socket, streamId: number): Promise<SeenFrame[]> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let chunk = 0;
    const frames: SeenFrame[] = [];
    socket.on('error', reject);
    socket.on('data', (data: Buffer) => {
      chunk++;
      buf = Buffer.concat([buf, data]);
      while (buf.length >= 9) {
        const length = buf.readUIntBE(0, 3);
        if (buf.length < 9 + length) break;
        const f = {
          type: buf[3],
          flags: buf[4],
          id: buf.readUInt32BE(5) & 0x7fffffff,
          payload: buf.subarray(9, 9 + length),
        };
        buf = buf.subarray(9 + length);
        if (f.id !== streamId) continue;
        frames.push({ type: f.type, flags: f.flags, payload: f.payload, chunk });
        if (f.flags & Flag.EndStream) return resolve(frames);
      }
    });
  });
}
