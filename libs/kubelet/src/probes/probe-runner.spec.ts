import * as http from 'node:http';
import * as net from 'node:net';
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { Root, parse } from 'protobufjs';
import { grpcProbe, httpProbe, resolvePort, tcpProbe } from './probe-runner';
import type { Container } from '../pod/types';

const container: Container = { name: 'app', ports: [{ name: 'web', containerPort: 8080 }] };

function listen(server: http.Server | net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

describe('probe runners on loopback', () => {
  it('resolves named ports', () => {
    expect(resolvePort('web', container)).toBe(8080);
    expect(resolvePort(81, container)).toBe(81);
    expect(() => resolvePort('nope', container)).toThrow(/port "nope" not found/);
  });

  it('httpGet: 2xx and 3xx pass, others fail with the code, a silent server times out', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers);
      if (req.url === '/ok') res.end('fine');
      else if (req.url === '/moved') res.writeHead(302, { location: '/ok' }).end();
      else if (req.url === '/slow') setTimeout(() => res.end('late'), 3000);
      else res.writeHead(500).end('broken');
    });
    const port = await listen(server);
    const target = { container, containerId: 'c', podIP: '127.0.0.1' };
    try {
      const probe = (path: string) => ({
        httpGet: { port, path, httpHeaders: [{ name: 'X-Probe', value: '1' }] },
        timeoutSeconds: 1,
      });
      expect(await httpProbe(probe('/ok'), target)).toEqual({ ok: true, output: 'fine' });
      expect((await httpProbe(probe('/moved'), target)).ok).toBe(true);
      expect(await httpProbe(probe('/bad'), target)).toEqual({
        ok: false,
        output: 'HTTP probe failed with statuscode: 500',
      });
      const slow = await httpProbe(probe('/slow'), target);
      expect(slow.ok).toBe(false);
      expect(slow.output).toMatch(/context deadline exceeded/);
      expect(seen[0]).toMatchObject({ 'user-agent': 'kube-probe/1.32', 'x-probe': '1' });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('tcpSocket: a listening port passes, a closed one fails', async () => {
    const server = net.createServer((s) => s.end());
    const port = await listen(server);
    const target = { container, containerId: 'c', podIP: '127.0.0.1' };
    expect((await tcpProbe({ tcpSocket: { port } }, target)).ok).toBe(true);
    server.close();
    await new Promise((r) => setTimeout(r, 50));
    const closed = await tcpProbe({ tcpSocket: { port } }, target);
    expect(closed.ok).toBe(false);
    expect(closed.output).toMatch(/ECONNREFUSED/);
  });

  it('grpc: SERVING passes, NOT_SERVING fails, no server fails', async () => {
    const root = new Root();
    parse(
      `syntax = "proto3"; package grpc.health.v1;
       message HealthCheckRequest { string service = 1; }
       message HealthCheckResponse { enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; } ServingStatus status = 1; }`,
      root,
    );
    const req = root.lookupType('grpc.health.v1.HealthCheckRequest');
    const res = root.lookupType('grpc.health.v1.HealthCheckResponse');
    const server = new Server();
    server.addService(
      {
        Check: {
          path: '/grpc.health.v1.Health/Check',
          requestStream: false,
          responseStream: false,
          requestSerialize: (v: object) => Buffer.from(req.encode(req.create(v)).finish()),
          requestDeserialize: (b: Buffer) => req.toObject(req.decode(b)),
          responseSerialize: (v: object) => Buffer.from(res.encode(res.create(v)).finish()),
          responseDeserialize: (b: Buffer) => res.toObject(res.decode(b)),
        },
      },
      {
        Check: (call: ServerUnaryCall<{ service?: string }, object>, cb: sendUnaryData<object>) =>
          cb(null, { status: call.request.service === 'down' ? 2 : 1 }),
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const target = { container, containerId: 'c', podIP: '127.0.0.1' };
    try {
      expect(await grpcProbe({ grpc: { port }, timeoutSeconds: 2 }, target)).toEqual({
        ok: true,
        output: '',
      });
      expect(
        await grpcProbe({ grpc: { port, service: 'down' }, timeoutSeconds: 2 }, target),
      ).toEqual({
        ok: false,
        output: 'service unhealthy (responded with "NOT_SERVING")',
      });
    } finally {
      server.forceShutdown();
    }
    const none = await grpcProbe({ grpc: { port }, timeoutSeconds: 1 }, target);
    expect(none.ok).toBe(false);
    expect(none.output).toMatch(/^rpc error:/);
  });
});
