// A gRPC server (insecure h2c) on Flotilla's own HTTP/2 connection code, in place of grpc-js's
// server: it takes the same service definitions and handlers, and answers each unary call with
// one write (grpc-js on node:http2 sends the trailers in a later turn, a second segment and a
// second wake-up of the client for every request).
import { Server, Socket, createServer } from 'node:net';
import {
  createServer as createTlsServer,
  SecureContextOptions,
  Server as TlsServer,
} from 'node:tls';
import { status as Code } from '@grpc/grpc-js';
import { BufferPool } from './buffer-pool';
import { DeadlineWheel } from './deadline-wheel';
import {
  CallContext,
  GrpcCallObserver,
  GrpcServerCall,
  GrpcStatus,
  statusBlock,
  toStatus,
} from './grpc-call';
import { parseGrpcTimeout } from './grpc-timeout';
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
  /** Uncaught handler failures are reported here (path '' when no call is known). */
  onHandlerError?: (path: string, err: unknown) => void;
  /** Overrides of the HTTP/2 limits below (tests use small ones and a still clock). */
  connection?: Partial<H2ConnectionOptions>;
  /** gRPC over TLS (ALPN h2); with `ca`, a client certificate from that CA is required. */
  tls?: GrpcTlsOptions;
}

export interface GrpcTlsOptions {
  key: Buffer;
  cert: Buffer;
  /** Client certificates must chain to this CA (etcd's --client-cert-auth). */
  ca?: Buffer;
}

/**
 * The HTTP/2 limits every connection gets, each advertised in our SETTINGS.
 *
 * - 4096 concurrent streams: etcd and grpc-go advertise 2^32 - 1, which bounds nothing; Go's
 *   own HTTP/2 server takes 250 and nghttp2 100, too few for an etcd client that keeps a Watch
 *   stream per watching context beside its in-flight calls (a client at the limit waits for a
 *   slot, so a low one would stall it behind its own watches). 4096 is far above what one
 *   client has open (the kv bench runs 256 calls at once), and bounds the streams, handlers and
 *   buffers one connection can hold.
 * - 64 KiB of header list: gRPC metadata is small (grpc-java allows 8 KiB); an auth token fits
 *   many times over. HPACK can expand a few bytes into kilobytes, so the decoded size is what
 *   is bounded.
 */
export const CONNECTION_DEFAULTS: H2ConnectionOptions = {
  streamWindow: 1024 * 1024,
  connectionWindow: 16 * 1024 * 1024,
  maxHeaderListBytes: 64 * 1024,
  maxConcurrentStreams: 4096,
  highWaterMark: 256 * 1024,
};

const UNSUPPORTED_MEDIA_TYPE = literalField(':status', '415');

export class GrpcServer {
  private readonly methods = new Map<string, RegisteredMethod>();
  private server: Server | undefined;
  private readonly connections = new Set<H2Connection>();
  private readonly context: CallContext;
  private readonly connectionOptions: H2ConnectionOptions;

  constructor(private readonly opts: GrpcServerOptions) {
    this.connectionOptions = {
      ...CONNECTION_DEFAULTS,
      onInternalError: (err) => opts.onHandlerError?.('', err),
      ...opts.connection,
    };
    this.context = {
      maxReceiveBytes: opts.maxReceiveMessageBytes,
      pool: new BufferPool(),
      deadlines: new DeadlineWheel(),
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
    const tls = this.opts.tls;
    const server: Server = tls
      ? createTlsServer(
          {
            key: tls.key,
            cert: tls.cert,
            ca: tls.ca,
            requestCert: tls.ca !== undefined,
            rejectUnauthorized: tls.ca !== undefined,
            ALPNProtocols: ['h2'],
          },
          (socket) => this.serveConnection(socket),
        )
      : createServer((socket) => this.serveConnection(socket));
    // A client that fails the handshake (no certificate, another CA) is dropped; nothing to do.
    server.on('tlsClientError', () => undefined);
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

  /** New connections get these certificates (rotation); open ones keep theirs. */
  setSecureContext(options: SecureContextOptions): void {
    (this.server as TlsServer | undefined)?.setSecureContext?.(options);
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

  /** Serves HTTP/2 on a connection accepted elsewhere (listen() hands each of its own here). */
  serveConnection(socket: Socket): void {
    const connection = new H2Connection(
      socket,
      (stream, conn) => this.dispatch(stream, conn),
      this.connectionOptions,
    );
    this.connections.add(connection);
    socket.once('close', () => this.connections.delete(connection));
  }

  private dispatch(stream: H2Stream, connection: H2Connection): void {
    // The fields the call needs, in one pass over the list.
    let httpMethod: string | undefined;
    let contentType = '';
    let path = '';
    let timeout: string | undefined;
    for (const [name, value] of stream.headers) {
      if (name === ':path') path = value;
      else if (name === ':method') httpMethod = value;
      else if (name === 'content-type') contentType = value;
      else if (name === 'grpc-timeout') timeout = value;
    }
    if (httpMethod !== 'POST' || !contentType.startsWith('application/grpc')) {
      connection.sendTrailers(stream, UNSUPPORTED_MEDIA_TYPE);
      return;
    }
    if (stream.headersTooLarge) {
      const limit = this.connectionOptions.maxHeaderListBytes;
      const details = `header list larger than the server's limit of ${limit} bytes`;
      const status = { code: Code.RESOURCE_EXHAUSTED, details };
      connection.sendTrailers(stream, statusBlock(status, false));
      return;
    }
    const method = this.methods.get(path);
    if (method === undefined) {
      const status = { code: Code.UNIMPLEMENTED, details: `unknown method ${path}` };
      connection.sendTrailers(stream, statusBlock(status, false));
      return;
    }
    const parsed = timeout === undefined ? undefined : parseGrpcTimeout(timeout);
    if (parsed !== undefined && 'error' in parsed) {
      const status = { code: Code.INTERNAL, details: `malformed grpc-timeout: ${parsed.error}` };
      connection.sendTrailers(stream, statusBlock(status, false));
      return;
    }
    const call = new GrpcServerCall(connection, stream, method, this.context, (c) =>
      this.run(method, c),
    );
    stream.handler = call;
    if (parsed !== undefined) call.startDeadline(parsed.ms);
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
