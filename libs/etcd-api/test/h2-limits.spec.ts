// The limits of our HTTP/2 server that a hostile or broken client cannot get around, each
// checked with the frames such a client would send: the concurrent-stream limit, inbound flow
// control, the header-list bound, CONTINUATION and padding rules, and flood budgets. Every
// error ends with the right GOAWAY or RST_STREAM code and the server goes on serving.
import {
  Client,
  Metadata,
  ServerReadableStream,
  ServiceDefinition,
  credentials,
} from '@grpc/grpc-js';
import type { GrpcServerCall } from '../src/grpc/grpc-call';
import { GrpcServer, GrpcServerOptions } from '../src/grpc/grpc-server';
import { Flag, FrameType, H2Error, Setting, frame, settingsFrame } from '../src/grpc/h2-frames';
import {
  RawH2Client,
  dataFrame,
  grpcMessage,
  headersFrame,
  padded,
  ping,
  requestBlock,
  rstStream,
  unaryRequest,
} from './raw-h2-client';

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
  Stall: method('/test.Svc/Stall', true, false),
  Sink: method('/test.Svc/Sink', true, false),
  Boom: method('/test.Svc/Boom', true, true),
};
const ECHO = '/test.Svc/Echo';
const SLOW = '/test.Svc/Slow';
const STALL = '/test.Svc/Stall';

type Callback = (err: unknown, value?: Buffer) => void;

interface Running {
  server: GrpcServer;
  port: number;
  slow: Array<(b: Buffer) => void>;
  cancelled: number;
  internalErrors: unknown[];
}

async function start(options: Partial<GrpcServerOptions> = {}): Promise<Running> {
  const running: Running = {
    server: undefined as unknown as GrpcServer,
    port: 0,
    slow: [],
    cancelled: 0,
    internalErrors: [],
  };
  const server = new GrpcServer({
    maxReceiveMessageBytes: 4 * 1024 * 1024,
    onHandlerError: (_path, err) => running.internalErrors.push(err),
    ...options,
  });
  server.addService(service, {
    Echo: (call: { request: Buffer }, callback: Callback) => callback(null, call.request),
    Slow: (call: GrpcServerCall, callback: Callback) => {
      call.on('cancelled', () => running.cancelled++);
      running.slow.push((b) => callback(null, b));
    },
    // Reads nothing: the stream stays paused, so the client's window is never given back.
    Stall: (call: GrpcServerCall) => call.pause(),
    Sink: (call: ServerReadableStream<Buffer, Buffer>, callback: Callback) => {
      let bytes = 0;
      call.on('data', (b: Buffer) => (bytes += b.length));
      call.on('end', () => callback(null, Buffer.from(String(bytes))));
    },
    Boom: (call: GrpcServerCall) =>
      call.on('data', () => {
        throw new Error('handler broke on data');
      }),
  });
  running.server = server;
  running.port = await server.listen('127.0.0.1', 0);
  return running;
}

/** A unary Echo over a fresh grpc-js connection: the server still serves. */
async function stillServes(port: number): Promise<string> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  try {
    return await new Promise<string>((resolve, reject) =>
      client.makeUnaryRequest(
        ECHO,
        identity,
        identity,
        Buffer.from('still here'),
        new Metadata(),
        { deadline: Date.now() + 10_000 },
        (err, res) => (err ? reject(err) : resolve(res!.toString())),
      ),
    );
  } finally {
    client.close();
  }
}

/** Sends a unary Echo on an open raw connection and returns the answer's grpc-status. */
async function echoOn(raw: RawH2Client, streamId: number): Promise<string | undefined> {
  raw.send(unaryRequest(streamId, ECHO, Buffer.from('ok')));
  return (await raw.trailers(streamId)).get('grpc-status');
}

/** `bytes` of request that begin a 3 MiB message (so they wait whole in the call's buffer). */
function bigMessageStart(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  out.writeUInt32BE(3 * 1024 * 1024, 1);
  return out;
}

/** Sends a frame the server must acknowledge and waits for the acknowledgement. */
async function stillAnswers(raw: RawH2Client, kind: 'ping' | 'settings'): Promise<void> {
  const type = kind === 'ping' ? FrameType.Ping : FrameType.Settings;
  const acks = (): number => raw.frames.filter((f) => f.type === type && f.flags & 1).length;
  const before = acks();
  raw.send(kind === 'ping' ? ping() : settingsFrame([]));
  await until(() => acks() > before);
}

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('HTTP/2 limits', () => {
  let s: Running;
  const raws: RawH2Client[] = [];
  const open = async (): Promise<RawH2Client> => {
    const raw = await RawH2Client.connect(s.port);
    raws.push(raw);
    return raw;
  };

  afterEach(() => {
    for (const raw of raws.splice(0)) raw.close();
    s.server.forceShutdown();
  });

  describe('with the default limits', () => {
    beforeEach(async () => {
      s = await start();
    });

    it('advertises its stream, window and header-list limits in SETTINGS', async () => {
      const settings = await (await open()).settings();
      expect(settings.get(Setting.MaxConcurrentStreams)).toBe(4096);
      expect(settings.get(Setting.InitialWindowSize)).toBe(1024 * 1024);
      expect(settings.get(Setting.MaxHeaderListSize)).toBe(64 * 1024);
    });

    it('refuses streams past SETTINGS_MAX_CONCURRENT_STREAMS and takes new ones once one ends', async () => {
      const raw = await open();
      const requests: Buffer[] = [];
      for (let i = 0; i < 4097; i++) requests.push(unaryRequest(1 + 2 * i, SLOW, Buffer.from('x')));
      raw.send(...requests);
      // Stream 8193 is the 4097th: refused, so the client may retry it elsewhere.
      expect(await raw.resetCode(8193)).toBe(H2Error.RefusedStream);
      await until(() => s.slow.length === 4096);
      expect(raw.frames.filter((f) => f.type === FrameType.RstStream)).toHaveLength(1);
      s.slow[0](Buffer.from('done'));
      expect((await raw.trailers(1)).get('grpc-status')).toBe('0');
      expect(await echoOn(raw, 8195)).toBe('0');
      for (const answer of s.slow.slice(1)) answer(Buffer.from('done'));
    });

    it('resets a stream that sends past the window it was offered (padding counts)', async () => {
      const raw = await open();
      raw.send(headersFrame(1, requestBlock(STALL)));
      // 64 frames of 16 KiB payload fill the 1 MiB stream window exactly, though only 16128 of
      // each are data: the padding counts too. One more byte is past it.
      const full = Array.from({ length: 64 }, (_, i) =>
        dataFrame(
          1,
          padded(i === 0 ? bigMessageStart(16_128) : Buffer.alloc(16_128), 255),
          Flag.Padded,
        ),
      );
      raw.send(...full);
      raw.send(dataFrame(1, Buffer.alloc(1)));
      expect(await raw.resetCode(1)).toBe(H2Error.FlowControlError);
      // The stream's error is not the connection's.
      expect(await echoOn(raw, 3)).toBe('0');
      expect(raw.frames.some((f) => f.type === FrameType.GoAway)).toBe(false);
    });

    it('ends the connection with FLOW_CONTROL_ERROR when DATA goes past the connection window', async () => {
      const raw = await open();
      // Paused streams give no window back, on the stream or the connection: 16 of them with a
      // full 1 MiB window hold the whole 16 MiB connection window.
      const oneMiB = Array.from({ length: 64 }, (_, i) =>
        i === 0 ? bigMessageStart(16_384) : Buffer.alloc(16_384),
      );
      for (let i = 0; i < 16; i++) {
        const id = 1 + 2 * i;
        raw.send(headersFrame(id, requestBlock(STALL)), ...oneMiB.map((b) => dataFrame(id, b)));
      }
      raw.send(headersFrame(33, requestBlock(STALL)), dataFrame(33, Buffer.alloc(1)));
      expect(await raw.goAwayCode()).toBe(H2Error.FlowControlError);
      expect(await stillServes(s.port)).toBe('still here');
    });

    it('gives windows back so that a long upload goes far past both windows', async () => {
      const client = new Client(`127.0.0.1:${s.port}`, credentials.createInsecure());
      const answer = new Promise<string>((resolve, reject) => {
        const call = client.makeClientStreamRequest(
          '/test.Svc/Sink',
          identity,
          identity,
          new Metadata(),
          (err, res) => (err ? reject(err) : resolve(res!.toString())),
        );
        const chunk = Buffer.alloc(256 * 1024, 7);
        let sent = 0;
        const write = (): void => {
          while (sent < 160) {
            sent++;
            if (!call.write(chunk)) return void call.once('drain', write);
          }
          call.end();
        };
        write();
      });
      expect(await answer).toBe(String(160 * 256 * 1024)); // 40 MiB
      client.close();
    });

    it('answers a header list past the limit with RESOURCE_EXHAUSTED and keeps the connection', async () => {
      const raw = await open();
      // HPACK lets a few bytes stand for kilobytes: one 4000-byte field put in the dynamic
      // table, then referred to by index (one byte each) 20 times: 80 KB decoded.
      const big = Buffer.concat([
        Buffer.from([0x40, 5]),
        Buffer.from('x-big'),
        Buffer.from([0x7f, 0x80 | 33, 30]), // 127 + 33 + 30 * 128 = 4000
        Buffer.alloc(4000, 'a'),
      ]);
      const block = Buffer.concat([requestBlock(ECHO), big, Buffer.alloc(20, 0xbe)]);
      expect(block.length).toBeLessThan(16_384);
      raw.send(headersFrame(1, block), dataFrame(1, grpcMessage(Buffer.from('x')), Flag.EndStream));
      const trailers = await raw.trailers(1);
      expect(trailers.get('grpc-status')).toBe('8');
      expect(trailers.get('grpc-message')).toContain('65536');
      // The table still matches the client's: index 62 is the big field, one reference is fine.
      raw.send(
        headersFrame(3, Buffer.concat([requestBlock(ECHO), Buffer.from([0xbe])])),
        dataFrame(3, grpcMessage(Buffer.from('x')), Flag.EndStream),
      );
      expect((await raw.trailers(3)).get('grpc-status')).toBe('0');
    });

    it('serves a header block split over HEADERS and CONTINUATION frames', async () => {
      const raw = await open();
      const block = requestBlock(ECHO);
      raw.send(
        headersFrame(1, block.subarray(0, 10), 0),
        frame(FrameType.Continuation, 0, 1, block.subarray(10, 30)),
        frame(FrameType.Continuation, Flag.EndHeaders, 1, block.subarray(30)),
        dataFrame(1, grpcMessage(Buffer.from('split')), Flag.EndStream),
      );
      expect((await raw.trailers(1)).get('grpc-status')).toBe('0');
    });

    it('serves padded HEADERS with a priority, and padded DATA', async () => {
      const raw = await open();
      const priority = Buffer.from([0, 0, 0, 0, 16]); // depends on stream 0, weight 17
      const block = padded(Buffer.concat([priority, requestBlock(ECHO)]), 7);
      raw.send(
        frame(FrameType.Headers, Flag.EndHeaders | Flag.Padded | Flag.Priority, 1, block),
        dataFrame(1, padded(grpcMessage(Buffer.from('pad')), 40), Flag.Padded | Flag.EndStream),
      );
      expect((await raw.trailers(1)).get('grpc-status')).toBe('0');
      const data = raw.frames.find((f) => f.type === FrameType.Data && f.streamId === 1);
      expect(data?.payload.subarray(5).toString()).toBe('pad');
    });

    it('resets a stream that depends on itself, or gets a PRIORITY frame of the wrong size', async () => {
      const raw = await open();
      const selfDependent = Buffer.concat([Buffer.from([0, 0, 0, 1, 16]), requestBlock(ECHO)]);
      raw.send(frame(FrameType.Headers, Flag.EndHeaders | Flag.Priority, 1, selfDependent));
      expect(await raw.resetCode(1)).toBe(H2Error.ProtocolError);
      raw.send(
        headersFrame(3, requestBlock(STALL)),
        frame(FrameType.Priority, 0, 3, Buffer.alloc(4)),
      );
      expect(await raw.resetCode(3)).toBe(H2Error.FrameSizeError);
      expect(await echoOn(raw, 5)).toBe('0');
    });

    it('resets a stream whose handler throws, reports it, and goes on serving', async () => {
      const raw = await open();
      raw.send(
        headersFrame(1, requestBlock('/test.Svc/Boom')),
        dataFrame(1, grpcMessage(Buffer.from('x'))),
      );
      expect(await raw.resetCode(1)).toBe(H2Error.InternalError);
      expect(s.internalErrors).toHaveLength(1);
      expect(await echoOn(raw, 3)).toBe('0');
    });

    it.each([
      ['an HPACK table size update above the one advertised', [0x3f, 0xe2, 0x1f], 0x9],
      ['an HPACK table size update after a header field', [0x82, 0x20], 0x9],
      [
        'an HPACK integer of more than five continuation bytes',
        [0xff, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
        0x9,
      ],
    ])('answers %s with COMPRESSION_ERROR', async (_, block, code) => {
      const raw = await open();
      raw.send(headersFrame(1, Buffer.from(block)));
      expect(await raw.goAwayCode()).toBe(code);
      expect(await stillServes(s.port)).toBe('still here');
    });

    it.each([
      [
        'another frame between HEADERS and its CONTINUATION',
        [headersFrame(1, requestBlock(ECHO), 0), ping()],
        0x1,
      ],
      [
        'a CONTINUATION of another stream',
        [
          headersFrame(1, requestBlock(ECHO), 0),
          frame(FrameType.Continuation, Flag.EndHeaders, 3, Buffer.alloc(1)),
        ],
        0x1,
      ],
      [
        'a CONTINUATION without HEADERS',
        [frame(FrameType.Continuation, Flag.EndHeaders, 1, Buffer.alloc(1))],
        0x1,
      ],
      [
        'a header block over twice the header-list limit',
        [
          headersFrame(1, Buffer.alloc(16_384), 0),
          ...Array.from({ length: 8 }, () =>
            frame(FrameType.Continuation, 0, 1, Buffer.alloc(16_384)),
          ),
        ],
        0xb,
      ],
      [
        'padding as long as a DATA frame',
        [headersFrame(1, requestBlock(STALL)), dataFrame(1, Buffer.from([3, 0, 0]), Flag.Padded)],
        0x1,
      ],
      [
        'padding as long as a HEADERS frame',
        [frame(FrameType.Headers, Flag.EndHeaders | Flag.Padded, 1, Buffer.from([4, 0x82, 0, 0]))],
        0x1,
      ],
      [
        'a HEADERS priority cut short',
        [frame(FrameType.Headers, Flag.EndHeaders | Flag.Priority, 1, Buffer.from([0, 0]))],
        0x6,
      ],
      ['DATA on a stream not opened yet', [dataFrame(5, Buffer.from('x'))], 0x1],
      ['RST_STREAM on a stream not opened yet', [rstStream(5, 8)], 0x1],
      [
        'RST_STREAM of the wrong size',
        [headersFrame(1, requestBlock(STALL)), frame(FrameType.RstStream, 0, 1, Buffer.alloc(3))],
        0x6,
      ],
      [
        'WINDOW_UPDATE on a stream not opened yet',
        [frame(FrameType.WindowUpdate, 0, 7, Buffer.from([0, 0, 1, 0]))],
        0x1,
      ],
      ['a SETTINGS ACK with a payload', [frame(FrameType.Settings, 1, 0, Buffer.alloc(6))], 0x6],
      ['SETTINGS_ENABLE_PUSH of 2', [settingsFrame([[Setting.EnablePush, 2]])], 0x1],
      ['PING on a stream', [frame(FrameType.Ping, 0, 1, Buffer.alloc(8))], 0x1],
      ['GOAWAY on a stream', [frame(FrameType.GoAway, 0, 1, Buffer.alloc(8))], 0x1],
      ['PRIORITY on stream 0', [frame(FrameType.Priority, 0, 0, Buffer.alloc(5))], 0x1],
    ])('answers %s with GOAWAY(%#) and serves others', async (_, frames, code) => {
      const raw = await open();
      raw.send(...(frames as Buffer[]));
      expect(await raw.goAwayCode()).toBe(code);
      await raw.whenClosed();
      expect(await stillServes(s.port)).toBe('still here');
    });

    it('ends a rapid-reset flood (CVE-2023-44487) with ENHANCE_YOUR_CALM', async () => {
      const raw = await open();
      const burst: Buffer[] = [];
      for (let i = 0; i < 5000; i++) {
        const id = 1 + 2 * i;
        burst.push(headersFrame(id, requestBlock(SLOW)), rstStream(id, H2Error.Cancel));
      }
      raw.send(...burst);
      expect(await raw.goAwayCode()).toBe(H2Error.EnhanceYourCalm);
      expect(s.slow.length).toBeLessThan(5000);
      await raw.whenClosed();
      expect(await stillServes(s.port)).toBe('still here');
    });
  });

  describe('flood budgets, with the clock held still', () => {
    let now = 0;
    beforeEach(async () => {
      now = 0;
      s = await start({
        connection: {
          now: () => now,
          floodLimits: {
            reset: { burst: 10, perSecond: 1 },
            ping: { burst: 10, perSecond: 1 },
            settings: { burst: 10, perSecond: 1 },
            noop: { burst: 10, perSecond: 1 },
          },
        },
      });
    });

    const budgets: Array<[string, (i: number) => Buffer[]]> = [
      ['PING', () => [ping()]],
      ['PING ACK', () => [ping(true)]],
      ['SETTINGS', () => [settingsFrame([])]],
      ['PRIORITY', (i) => [frame(FrameType.Priority, 0, 101 + 2 * i, Buffer.alloc(5))]],
      ['an unknown frame type', () => [frame(0x42 as FrameType, 0, 0, Buffer.alloc(0))]],
      ['empty DATA', () => [dataFrame(1, Buffer.alloc(0))]],
      ['empty CONTINUATION', () => [frame(FrameType.Continuation, 0, 1, Buffer.alloc(0))]],
      [
        'RST_STREAM of a stream in progress',
        // Streams 3-21, then (after the Echo on 99) 201.
        (i) => [
          headersFrame(i < 10 ? 3 + 2 * i : 201, requestBlock(SLOW)),
          rstStream(i < 10 ? 3 + 2 * i : 201, H2Error.Cancel),
        ],
      ],
    ];

    it.each(budgets)(
      'takes %s up to its budget, and ends the connection past it',
      async (kind, frames) => {
        const raw = await open();
        if (kind === 'empty DATA') raw.send(headersFrame(1, requestBlock(STALL)));
        if (kind === 'empty CONTINUATION')
          raw.send(headersFrame(1, requestBlock(ECHO).subarray(0, 4), 0));
        // The SETTINGS of the client's preface took one already.
        const budget = kind === 'SETTINGS' ? 9 : 10;
        for (let i = 0; i < budget; i++) raw.send(...frames(i));
        if (kind !== 'empty CONTINUATION') {
          await stillAnswers(raw, kind.startsWith('PING') ? 'settings' : 'ping');
          expect(raw.frames.some((f) => f.type === FrameType.GoAway)).toBe(false);
        }
        raw.send(...frames(10));
        expect(await raw.goAwayCode()).toBe(H2Error.EnhanceYourCalm);
        expect(await stillServes(s.port)).toBe('still here');
      },
    );

    it('refills a budget as time passes', async () => {
      const raw = await open();
      for (let i = 0; i < 10; i++) raw.send(ping());
      now += 5000; // five more PINGs earned
      for (let i = 0; i < 5; i++) raw.send(ping());
      await stillAnswers(raw, 'settings');
      expect(raw.frames.some((f) => f.type === FrameType.GoAway)).toBe(false);
      raw.send(ping());
      expect(await raw.goAwayCode()).toBe(H2Error.EnhanceYourCalm);
    });

    it("forgives PINGs while it sends the client answers (grpc-go's BDP probes)", async () => {
      const raw = await open();
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 10; i++) raw.send(ping());
        expect(await echoOn(raw, 1 + 2 * round)).toBe('0');
      }
      expect(raw.frames.some((f) => f.type === FrameType.GoAway)).toBe(false);
    });
  });
});
