// Property-based tests of the HTTP/2 server's frame parser, through the whole stack (frames,
// HPACK, gRPC calls, handlers) over an in-memory socket: arbitrary frames, plausible
// conversations and mutated ones, cut into arbitrary chunks, never make an exception escape; a
// connection the server ends gets a GOAWAY first, with the peer's fault named (never an
// internal error: every bad input is classified); what it writes is well-formed HTTP/2 and
// bounded by what it was sent.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import type { GrpcServerCall } from '../src/grpc/grpc-call';
import { GrpcServer } from '../src/grpc/grpc-server';
import {
  CLIENT_PREFACE,
  Flag,
  FrameType,
  Setting,
  frame,
  settingsFrame,
} from '../src/grpc/h2-frames';
import { fuzzParameters } from './fuzz-config';
import { TestHpackEncoder } from './hpack-test-encoder';
import { grpcMessage, padded, ping, rstStream } from './raw-h2-client';

/** Just what H2Connection uses of a net.Socket, writing into memory. */
class MemorySocket extends EventEmitter {
  readonly written: Buffer[] = [];
  writtenBytes = 0;
  writableLength = 0;
  ended = false;
  destroyed = false;
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  cork(): void {}
  uncork(): void {}
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  write(chunk: Buffer, done?: (err?: Error | null) => void): boolean {
    this.written.push(Buffer.from(chunk));
    this.writtenBytes += chunk.length;
    if (done !== undefined) queueMicrotask(() => done(null));
    return true;
  }
  end(): this {
    this.ended = true;
    return this;
  }
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.emit('close');
    }
    return this;
  }
}

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
const PATHS = ['/fuzz.Svc/Echo', '/fuzz.Svc/Chat', '/fuzz.Svc/Never', '/fuzz.Svc/Nope'];

/** Failures the server blamed on itself: bad input must never land here. */
const internalErrors: unknown[] = [];

function fuzzServer(): GrpcServer {
  const server = new GrpcServer({
    maxReceiveMessageBytes: 64 * 1024,
    onHandlerError: (_path, err) => internalErrors.push(err),
  });
  server.addService(
    {
      Echo: method(PATHS[0], false, false),
      Chat: method(PATHS[1], true, true),
      Never: method(PATHS[2], false, false),
    },
    {
      Echo: (call: { request: Buffer }, cb: (e: unknown, v?: Buffer) => void) =>
        cb(null, call.request),
      Chat: (call: GrpcServerCall) => {
        call.on('data', (b: Buffer) => call.write(b));
        call.on('end', () => call.end());
      },
      Never: () => undefined,
    },
  );
  return server;
}

const streamIds = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 5, 7, 9, 11),
  fc.integer({ min: 0, max: 0x7fffffff }),
);

/** Any frame at all: any type, flags, stream and payload. */
const anyFrame = fc
  .record({
    type: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 255 })),
    flags: fc.integer({ min: 0, max: 255 }),
    streamId: streamIds,
    payload: fc.uint8Array({ maxLength: 80 }),
  })
  .map((f) => frame(f.type as FrameType, f.flags, f.streamId, Buffer.from(f.payload)));

/** A gRPC request as a client sends it: headers (maybe split, padded), messages, an end. */
const request = fc
  .record({
    id: fc.constantFrom(1, 3, 5, 7, 9, 11, 13),
    path: fc.constantFrom(...PATHS),
    timeout: fc.option(fc.constantFrom('1n', '50m', '1S', 'bad', '123456789S'), {
      nil: undefined,
    }),
    bodies: fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 3 }),
    split: fc.integer({ min: 0, max: 60 }),
    pad: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
    end: fc.boolean(),
  })
  .map((r) => {
    const encoder = new TestHpackEncoder();
    const huffman = { nameByIndex: true, huffmanName: true, huffmanValue: true } as const;
    const fields: Array<[string, string]> = [
      [':method', 'POST'],
      [':scheme', 'http'],
      [':path', r.path],
      ['content-type', 'application/grpc'],
      ...(r.timeout === undefined ? [] : [['grpc-timeout', r.timeout] as [string, string]]),
    ];
    // Each request encodes on its own table: only the static table is shared knowledge.
    const block = Buffer.concat(
      fields.map(([n, v]) => encoder.field(n, v, { representation: 'without', ...huffman })),
    );
    const frames: Buffer[] = [];
    const cut = Math.min(r.split, block.length);
    if (cut > 0 && cut < block.length) {
      frames.push(frame(FrameType.Headers, 0, r.id, block.subarray(0, cut)));
      frames.push(frame(FrameType.Continuation, Flag.EndHeaders, r.id, block.subarray(cut)));
    } else if (r.pad !== undefined) {
      frames.push(
        frame(FrameType.Headers, Flag.EndHeaders | Flag.Padded, r.id, padded(block, r.pad)),
      );
    } else frames.push(frame(FrameType.Headers, Flag.EndHeaders, r.id, block));
    r.bodies.forEach((body, i) => {
      const last = i === r.bodies.length - 1 && r.end;
      frames.push(
        frame(FrameType.Data, last ? Flag.EndStream : 0, r.id, grpcMessage(Buffer.from(body))),
      );
    });
    if (r.bodies.length === 0 && r.end)
      frames.push(frame(FrameType.Data, Flag.EndStream, r.id, Buffer.alloc(0)));
    return Buffer.concat(frames);
  });

/** Control frames with plausible and implausible values. */
const control = fc.oneof(
  fc.boolean().map((ack) => ping(ack)),
  fc
    .array(
      fc.tuple(
        fc.constantFrom(
          Setting.HeaderTableSize,
          Setting.EnablePush,
          Setting.MaxConcurrentStreams,
          Setting.InitialWindowSize,
          Setting.MaxFrameSize,
          Setting.MaxHeaderListSize,
          0x42 as Setting,
        ),
        fc.oneof(fc.integer({ min: 0, max: 70_000 }), fc.integer({ min: 0, max: 0xffffffff })),
      ),
      { maxLength: 4 },
    )
    .map((pairs) => settingsFrame(pairs)),
  fc.tuple(streamIds, fc.integer({ min: 0, max: 0x7fffffff })).map(([id, increment]) => {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(increment, 0);
    return frame(FrameType.WindowUpdate, 0, id, payload);
  }),
  fc.tuple(streamIds, fc.integer({ min: 0, max: 13 })).map(([id, code]) => rstStream(id, code)),
);

const conversation = fc
  .array(fc.oneof({ weight: 3, arbitrary: request }, control, anyFrame), { maxLength: 25 })
  .map((frames) => Buffer.concat([CLIENT_PREFACE, settingsFrame([]), ...frames]));

const mutated = fc
  .tuple(
    conversation,
    fc.array(
      fc.record({
        kind: fc.constantFrom('flip', 'set', 'insert', 'delete'),
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  )
  .map(([bytes, mutations]) => {
    const out = [...bytes];
    for (const m of mutations) {
      // The preface stays: past it, every byte is fair game.
      const at = CLIENT_PREFACE.length + (m.at % Math.max(1, out.length - CLIENT_PREFACE.length));
      if (m.kind === 'flip' && at < out.length) out[at] ^= 1 << (m.byte % 8);
      else if (m.kind === 'set' && at < out.length) out[at] = m.byte;
      else if (m.kind === 'insert') out.splice(at, 0, m.byte);
      else if (m.kind === 'delete') out.splice(at, 1);
    }
    return Buffer.from(out);
  });

const garbage = fc
  .uint8Array({ maxLength: 400 })
  .map((b) => Buffer.concat([CLIENT_PREFACE, Buffer.from(b)]));

const chunkSizes = fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 30 });

function framesIn(buf: Buffer): Array<{ type: number; length: number; payload: Buffer }> {
  const out: Array<{ type: number; length: number; payload: Buffer }> = [];
  let at = 0;
  while (at + 9 <= buf.length) {
    const length = buf.readUIntBE(at, 3);
    out.push({ type: buf[at + 3], length, payload: buf.subarray(at + 9, at + 9 + length) });
    at += 9 + length;
  }
  expect(at).toBe(buf.length);
  return out;
}

/** Feeds `input` in chunks of the given sizes, then lets queued output leave. */
async function run(server: GrpcServer, input: Buffer, sizes: number[]): Promise<MemorySocket> {
  internalErrors.length = 0;
  const socket = new MemorySocket();
  server.serveConnection(socket as unknown as Socket);
  let at = 0;
  for (const size of [...sizes, input.length]) {
    if (at >= input.length) break;
    const chunk = input.subarray(at, at + size);
    at += chunk.length;
    // The property itself: nothing the peer sends throws out of the socket's 'data' event.
    socket.emit('data', chunk);
  }
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  return socket;
}

function checkOutput(socket: MemorySocket, input: Buffer): void {
  const out = Buffer.concat(socket.written);
  const frames = framesIn(out);
  for (const f of frames) expect(f.length).toBeLessThanOrEqual(16_384);
  const goAway = frames.find((f) => f.type === FrameType.GoAway);
  if (socket.ended) expect(goAway).toBeDefined();
  // PROTOCOL, FLOW_CONTROL, STREAM_CLOSED, FRAME_SIZE, COMPRESSION errors or ENHANCE_YOUR_CALM.
  if (goAway !== undefined) expect([1, 3, 5, 6, 9, 11]).toContain(goAway.payload.readUInt32BE(4));
  for (const f of frames.filter((x) => x.type === FrameType.RstStream)) {
    expect(f.payload.readUInt32BE(0)).not.toBe(2); // INTERNAL_ERROR
  }
  expect(internalErrors).toEqual([]);
  // Our SETTINGS and WINDOW_UPDATE, then at most a bounded answer per byte received.
  expect(socket.writtenBytes).toBeLessThanOrEqual(1024 + 32 * input.length);
}

describe('HTTP/2 frame parser, property-based', () => {
  const server = fuzzServer();
  afterAll(() => server.forceShutdown());

  it.each([
    ['plausible conversations', conversation],
    ['mutated conversations', mutated],
    ['arbitrary bytes after the preface', garbage],
  ])('survives %s in any chunking', async (_, input) => {
    await fc.assert(
      fc.asyncProperty(input, chunkSizes, async (bytes, sizes) => {
        const socket = await run(server, bytes, sizes);
        try {
          checkOutput(socket, bytes);
        } finally {
          socket.destroy();
        }
      }),
      fuzzParameters(200),
    );
  });

  it('answers a well-formed conversation whole, whatever the chunking', async () => {
    const echo = fc.array(fc.uint8Array({ maxLength: 100 }), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(echo, chunkSizes, async (bodies, sizes) => {
        const encoder = new TestHpackEncoder();
        const choice = {
          representation: 'incremental',
          nameByIndex: true,
          huffmanName: false,
          huffmanValue: true,
        } as const;
        const frames = bodies.map((body, i) => {
          const id = 1 + 2 * i;
          const block = Buffer.concat([
            encoder.field(':method', 'POST', choice),
            encoder.field(':path', PATHS[0], choice),
            encoder.field('content-type', 'application/grpc', choice),
          ]);
          return Buffer.concat([
            frame(FrameType.Headers, Flag.EndHeaders, id, block),
            frame(FrameType.Data, Flag.EndStream, id, grpcMessage(Buffer.from(body))),
          ]);
        });
        const input = Buffer.concat([CLIENT_PREFACE, settingsFrame([]), ...frames]);
        const socket = await run(server, input, sizes);
        try {
          const out = framesIn(Buffer.concat(socket.written));
          expect(out.some((f) => f.type === FrameType.GoAway)).toBe(false);
          // Each call: headers, one DATA frame with the echo, trailers.
          const data = out.filter((f) => f.type === FrameType.Data).map((f) => f.length);
          expect(data).toEqual(bodies.map((b) => b.length + 5));
        } finally {
          socket.destroy();
        }
      }),
      fuzzParameters(200),
    );
  });
});
