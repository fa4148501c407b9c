// A gRPC server (insecure h2c) on Flotilla's own HTTP/2 connection code, in place of grpc-js's
// server: it takes the same service definitions and handlers, and answers each unary call with
// one write (grpc-js on node:http2 sends the trailers in a later turn, a second segment and a
// second wake-up of the client for every request).
import { Server, Socket, createServer } from 'node:net';
import { status as Code } from '@grpc/grpc-js';
import { BufferPool } from './buffer-pool';
import {
  CallContext,
  GrpcCallObserver,
  GrpcServerCall,
  GrpcStatus,
  statusBlock,
  toStatus,
} from './grpc-call';
import { H2Connection, H2ConnectionOptions } from './h2-connection';
import { literalField } from './h2-frames';
import type { H2Stream } from './h2-stream';

/** The shape of a grpc-js method definition (what @grpc/proto-loader produces). */
export interface MethodDefinitionLike {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: unknown): Buffer;
}

type UnaryHandler = (
  call: GrpcServerCall,
  callback: (err: unknown, value?: unknown) => void,
) => void;
type StreamHandlerFn = (call: GrpcServerCall) => void;

interface RegisteredMethod {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  deserialize(bytes: Buffer): unknown;
  serialize(value: unknown): Buffer;
  handler: UnaryHandler | StreamHandlerFn;
}

export interface GrpcServerOptions {
  /** Requests larger than this end with RESOURCE_EXHAUSTED. */
  maxReceiveMessageBytes: number;
  /** Told of every call to a registered method (metrics). */
  observer?: GrpcCallObserver;
  /** Uncaught handler failures are reported here. */
  onHandlerError?: (path: string, err: unknown) => void;
}

const CONNECTION_DEFAULTS: H2ConnectionOptions = {
  streamWindow: 1024 * 1024,
  connectionWindow: 16 * 1024 * 1024,
  maxHeaderListBytes: 1024 * 1024,
  highWaterMark: 256 * 1024,
};

const UNSUPPORTED_MEDIA_TYPE = literalField(':status', '415');

export class GrpcServer {
  private readonly methods = new Map<string, RegisteredMethod>();
  private server: Server | undefined;
  private readonly connections = new Set<H2Connection>();
  private readonly context: CallContext;

  constructor(private readonly opts: GrpcServerOptions) {
    this.context = {
      maxReceiveBytes: opts.maxReceiveMessageBytes,
      pool: new BufferPool(),
      observer: opts.observer,
    };
  }

  /** Registers the handlers of a service; methods without one answer UNIMPLEMENTED. */
  addService(definition: object, implementation: object): void {
    const impl = implementation as Record<string, UnaryHandler | StreamHandlerFn | undefined>;
    for (const [name, def] of Object.entries(definition as Record<string, MethodDefinitionLike>)) {
      const handler = impl[name];
      if (handler === undefined) continue;
      this.methods.set(def.path, {
        path: def.path,
        requestStream: def.requestStream,
        responseStream: def.responseStream,
        deserialize: (b) => def.requestDeserialize(b),
        serialize: (v) => def.responseSerialize(v),
        handler,
      });
    }
  }

  /** Listens on host:port (0: any free port) and resolves with the port bound. */
  listen(host: string, port: number): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  /** Stops accepting; calls in flight finish (GOAWAY), then `done` runs. */
  tryShutdown(done: () => void): void {
    this.server?.close();
    this.server = undefined;
    const open = [...this.connections];
    if (open.length === 0) return done();
    let left = open.length;
    for (const connection of open) {
      connection.goAway(() => {
        this.connections.delete(connection);
        if (--left === 0) done();
      });
    }
  }

  /** Cuts every connection now; calls in flight see 'cancelled'. */
  forceShutdown(): void {
    this.server?.close();
    this.server = undefined;
    for (const connection of this.connections) connection.destroy();
    this.connections.clear();
  }

  private accept(socket: Socket): void {
    const connection = new H2Connection(
      socket,
      (stream, conn) => this.dispatch(stream, conn),
      CONNECTION_DEFAULTS,
    );
    this.connections.add(connection);
    socket.once('close', () => this.connections.delete(connection));
  }

  private dispatch(stream: H2Stream, connection: H2Connection): void {
    const contentType = stream.header('content-type') ?? '';
    if (stream.header(':method') !== 'POST' || !contentType.startsWith('application/grpc')) {
      connection.sendTrailers(stream, UNSUPPORTED_MEDIA_TYPE);
      return;
    }
    const path = stream.header(':path') ?? '';
    const method = this.methods.get(path);
    if (method === undefined) {
      const status = { code: Code.UNIMPLEMENTED, details: `unknown method ${path}` };
      connection.sendTrailers(stream, statusBlock(status, false));
      return;
    }
    const call = new GrpcServerCall(connection, stream, method, this.context, (c) =>
      this.run(method, c),
    );
    stream.handler = call;
    this.opts.observer?.started(method);
    if (method.requestStream) this.run(method, call);
  }

  private run(method: RegisteredMethod, call: GrpcServerCall): void {
    try {
      if (!method.responseStream) {
        (method.handler as UnaryHandler)(call, (err, value) => {
          if (err !== null && err !== undefined) call.endWithStatus(toStatus(err));
          else call.respond(value);
        });
      } else (method.handler as StreamHandlerFn)(call);
    } catch (err) {
      this.opts.onHandlerError?.(method.path, err);
      const status: GrpcStatus = { code: Code.UNKNOWN, details: String(err) };
      call.endWithStatus(status);
    }
  }
}
