// grpc-timeout on the server side: a call whose deadline passes before it is answered ends with
// DEADLINE_EXCEEDED, and what it held is let go of, for unary calls and streams alike; with raw
// frames (no client deadline racing the server's) and with the real etcdctl.
import { existsSync } from 'node:fs';
import type { RangeRequest, RangeResponse } from '@flotilla/store';
import { loadEtcdServices } from '../src';
import type { RequestContext } from '../src/backend';
import type { GrpcServerCall } from '../src/grpc/grpc-call';
import { GrpcServer } from '../src/grpc/grpc-server';
import { parseGrpcTimeout } from '../src/grpc/grpc-timeout';
import { ETCDCTL, Served, etcdctl, serve } from './harness';
import {
  RawH2Client,
  dataFrame,
  grpcMessage,
  headersFrame,
  requestBlock,
  unaryRequest,
} from './raw-h2-client';

const DEADLINE_EXCEEDED = '4';

describe('parseGrpcTimeout', () => {
  it.each([
    ['5S', 5000],
    ['100m', 100],
    ['2M', 120_000],
    ['1H', 3_600_000],
    ['2500u', 2.5],
    ['3000000n', 3],
    ['0S', 0],
    ['99999999H', 99_999_999 * 3_600_000],
  ])('reads %s as %d ms', (value, ms) => {
    expect(parseGrpcTimeout(value)).toEqual({ ms });
  });

  it.each(['', 'S', '5', '5s', '5 S', '-5S', '+5S', '1.5S', '123456789S', 'abcS'])(
    'refuses %j',
    (value) => {
      expect(parseGrpcTimeout(value)).toHaveProperty('error');
    },
  );
});

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

describe('GrpcServer deadlines', () => {
  let server: GrpcServer;
  let raw: RawH2Client;
  const heard: string[] = [];

  beforeAll(async () => {
    server = new GrpcServer({ maxReceiveMessageBytes: 1024 * 1024 });
    server.addService(
      {
        Never: method('/test.Svc/Never', false, false),
        Chat: method('/test.Svc/Chat', true, true),
        Echo: method('/test.Svc/Echo', false, false),
      },
      {
        Never: (call: GrpcServerCall) => {
          call.on('cancelled', () => heard.push('unary cancelled'));
          call.onDone(() => heard.push('unary done'));
        },
        Chat: (call: GrpcServerCall) => {
          call.on('data', (b: Buffer) => call.write(b));
          call.on('cancelled', () => heard.push('stream cancelled'));
        },
        Echo: (call: { request: Buffer }, cb: (e: unknown, v?: Buffer) => void) =>
          cb(null, call.request),
      },
    );
    raw = await RawH2Client.connect(await server.listen('127.0.0.1', 0));
  });

  afterAll(() => {
    raw.close();
    server.forceShutdown();
  });

  it('ends a unary call that is not answered in time with DEADLINE_EXCEEDED', async () => {
    raw.send(unaryRequest(1, '/test.Svc/Never', Buffer.from('x'), [['grpc-timeout', '100m']]));
    const trailers = await raw.trailers(1);
    expect(trailers.get('grpc-status')).toBe(DEADLINE_EXCEEDED);
    expect(trailers.get('grpc-message')).toBe('context deadline exceeded');
    expect(heard).toEqual(expect.arrayContaining(['unary cancelled', 'unary done']));
  });

  it('ends a stream at its deadline too, though it is busy', async () => {
    raw.send(
      headersFrame(3, requestBlock('/test.Svc/Chat', [['grpc-timeout', '150000u']])),
      dataFrame(3, grpcMessage(Buffer.from('hello'))),
    );
    const trailers = await raw.trailers(3);
    expect(trailers.get('grpc-status')).toBe(DEADLINE_EXCEEDED);
    expect(heard).toContain('stream cancelled');
  });

  it('answers a malformed grpc-timeout with INTERNAL, as grpc-go does', async () => {
    raw.send(unaryRequest(5, '/test.Svc/Echo', Buffer.from('x'), [['grpc-timeout', '1.5S']]));
    const trailers = await raw.trailers(5);
    expect(trailers.get('grpc-status')).toBe('13');
    expect(trailers.get('grpc-message')).toMatch(/^malformed grpc-timeout/);
  });

  it('answers a call within its deadline as usual', async () => {
    raw.send(unaryRequest(7, '/test.Svc/Echo', Buffer.from('x'), [['grpc-timeout', '10S']]));
    expect((await raw.trailers(7)).get('grpc-status')).toBe('0');
  });
});

const describeIfEtcdctl = existsSync(ETCDCTL) ? describe : describe.skip;

describeIfEtcdctl('the etcd API over a member whose reads never complete', () => {
  let s: Served;
  /** Linearizable reads that are waiting, as a member stuck on its read barrier has them. */
  const stuck = new Set<RequestContext | undefined>();
  const services = loadEtcdServices();

  beforeAll(async () => {
    s = await serve();
    const local = s.backend.range.bind(s.backend);
    s.backend.range = (req: RangeRequest, ctx?: RequestContext): Promise<RangeResponse> => {
      if (req.serializable) return local(req);
      stuck.add(ctx);
      return new Promise((_resolve, reject) =>
        ctx?.onDone(() => {
          stuck.delete(ctx);
          reject(new Error('given up'));
        }),
      );
    };
  });
  afterAll(async () => {
    await s.close();
  });

  it("lets go of a read at the client's deadline (raw frames, no client-side cancel)", async () => {
    const raw = await RawH2Client.connect(Number(s.endpoint.split(':')[1]));
    const request = services.KV.Range.requestSerialize({ key: Buffer.from('k') });
    raw.send(unaryRequest(1, services.KV.Range.path, request, [['grpc-timeout', '200m']]));
    const trailers = await raw.trailers(1);
    expect(trailers.get('grpc-status')).toBe(DEADLINE_EXCEEDED);
    expect(stuck.size).toBe(0);
    raw.close();
  });

  it('answers etcdctl with "context deadline exceeded" and goes on serving', async () => {
    const get = await etcdctl(s.endpoint, ['--command-timeout=1s', 'get', 'k']);
    expect(get.code).not.toBe(0);
    expect(get.stderr).toContain('context deadline exceeded');
    expect(stuck.size).toBe(0);
    expect((await etcdctl(s.endpoint, ['put', 'k', 'v'])).stdout).toBe('OK\n');
    const serializable = await etcdctl(s.endpoint, ['get', 'k', '--consistency=s']);
    expect(serializable.stdout).toBe('k\nv\n');
  });

  it('ends a Watch stream at its deadline and cancels its watchers', async () => {
    const raw = await RawH2Client.connect(Number(s.endpoint.split(':')[1]));
    const create = services.Watch.Watch.requestSerialize({
      create_request: { key: Buffer.from('w') },
    });
    raw.send(
      headersFrame(1, requestBlock(services.Watch.Watch.path, [['grpc-timeout', '300m']])),
      dataFrame(1, grpcMessage(create)),
    );
    await raw.waitFor((f) => f.type === 0 && f.streamId === 1, 'the created answer');
    expect(s.backend.store.watcherCount).toBe(1);
    const trailers = await raw.trailers(1);
    expect(trailers.get('grpc-status')).toBe(DEADLINE_EXCEEDED);
    for (let i = 0; i < 100 && s.backend.store.watcherCount > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(s.backend.store.watcherCount).toBe(0);
    expect(raw.frames.some((f) => f.type === 0x7)).toBe(false); // no GOAWAY: one stream ended
    raw.close();
  });
});
