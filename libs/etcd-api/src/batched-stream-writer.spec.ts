// The batched writer on our gRPC server, with a grpc-js client: it must send a burst as one
// framed write, keep message order, and bound what it queues.
import {
  Client,
  Metadata,
  ServerDuplexStream,
  ServiceDefinition,
  credentials,
} from '@grpc/grpc-js';
import { BatchedStreamWriter } from './batched-stream-writer';
import { GrpcServer } from './grpc/grpc-server';

const identity = (b: Buffer): Buffer => b;
const service: ServiceDefinition = {
  Chat: {
    path: '/test.Echo/Chat',
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** Calls `onWrite` on every framed write the call takes. */
function onRawWrite(call: ServerDuplexStream<Buffer, Buffer>, onWrite: () => void): void {
  const target = call as unknown as { writeFramed: (b: Buffer, n: number) => boolean };
  const write = target.writeFramed.bind(target);
  target.writeFramed = (b: Buffer, n: number) => {
    onWrite();
    return write(b, n);
  };
}

describe('BatchedStreamWriter', () => {
  let server: GrpcServer;
  let client: Client;
  let onCall: (call: ServerDuplexStream<Buffer, Buffer>) => void;

  beforeAll(async () => {
    server = new GrpcServer({ maxReceiveMessageBytes: 1024 * 1024 });
    server.addService(service, {
      Chat: (call: ServerDuplexStream<Buffer, Buffer>) => onCall(call),
    });
    const port = await server.listen('127.0.0.1', 0);
    client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  /** Opens a call and resolves with the messages the server sent, once it ends the call. */
  const receiveAll = async (): Promise<string[]> => {
    const got: string[] = [];
    const stream = client.makeBidiStreamRequest(
      '/test.Echo/Chat',
      identity,
      identity,
      new Metadata(),
    );
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (b: Buffer) => got.push(b.toString()));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    return got;
  };

  it('sends the messages of one turn as one HTTP/2 write, in order', async () => {
    let rawWrites = 0;
    onCall = (call) => {
      onRawWrite(call, () => rawWrites++);
      const writer = new BatchedStreamWriter<Buffer>(call, identity, (err) => {
        throw err;
      });
      expect(writer.batching).toBe(true);
      for (let i = 0; i < 100; i++) writer.write(Buffer.from(`message ${i}`));
      writer.onDrain(() => setTimeout(() => call.end(), 10));
    };
    const got = await receiveAll();
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => `message ${i}`));
    expect(rawWrites).toBe(1);
  });

  it('sends what watchers resumed by one change write before a reply a few promise jobs away', async () => {
    // As in a member: applying a write wakes the watchers' pumps, then resolves the write's
    // proposal, whose reply reaches its stream only after several more promise jobs.
    const order: string[] = [];
    onCall = (call) => {
      onRawWrite(call, () => order.push('batch'));
      const writer = new BatchedStreamWriter<Buffer>(call, identity, (err) => {
        throw err;
      });
      let applied!: () => void;
      const change = new Promise<void>((resolve) => (applied = resolve));
      for (let w = 0; w < 10; w++)
        void change.then(() => writer.write(Buffer.from(`event for watcher ${w}`)));
      void change
        .then(() => undefined)
        .then(() => undefined)
        .then(() => order.push('reply'));
      applied();
      writer.onDrain(() => setTimeout(() => call.end(), 10));
    };
    expect(await receiveAll()).toHaveLength(10);
    expect(order).toEqual(['batch', 'reply']);
  });

  it('writes at once and reports backpressure when a burst grows large', async () => {
    let accepted = 0;
    onCall = (call) => {
      const writer = new BatchedStreamWriter<Buffer>(call, identity, () => undefined);
      const big = Buffer.alloc(32 * 1024, 1);
      // The client reads nothing yet: after the flow-control window the writer must say stop.
      while (accepted < 1000 && writer.write(big)) accepted++;
      writer.onDrain(() => call.end());
    };
    const stream = client.makeBidiStreamRequest(
      '/test.Echo/Chat',
      identity,
      identity,
      new Metadata(),
    );
    stream.pause();
    await new Promise((r) => setTimeout(r, 200));
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(20);
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      stream.on('data', () => received++);
      stream.on('end', resolve);
      stream.on('error', reject);
      stream.resume();
    });
    expect(received).toBe(accepted + 1);
  });
});
