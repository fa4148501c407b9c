// The etcd v3 gRPC API of a Flotilla master (h2c, or gRPC over TLS with client certificates), serving KV, Watch, Lease, Cluster
// and Maintenance over an EtcdBackend. Services and methods it does not offer answer UNIMPLEMENTED.
import { tmpdir } from 'node:os';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { EtcdBackend } from './backend';
import { ClusterService } from './cluster-service';
import type { GrpcCallObserver } from './grpc/grpc-call';
import { GrpcServer, GrpcTlsOptions } from './grpc/grpc-server';
import { KvService } from './kv-service';
import { LeaseService } from './lease-service';
import { MaintenanceService } from './maintenance-service';
import { loadEtcdServices } from './proto/load-etcd-services';
import { headerSource } from './response-header';
import { EtcdApiLogger, silentLogger } from './rpc-handlers';
import { WatchStream, WatchStreamOptions } from './watch-stream';
import { EncodedMessage, encodedHeaderSource } from './wire-encoder';
import type { WireWatchRequest, WireWatchResponse } from './wire-types';

export interface EtcdGrpcServerOptions {
  /** etcd's --max-request-bytes: larger writes get "etcdserver: request is too large". */
  maxRequestBytes?: number;
  /** etcd's --max-txn-ops. */
  maxTxnOps?: number;
  /** How often watchers created with progress_notify get a progress notification when idle. */
  progressNotifyIntervalMs?: number;
  maxWatchersPerStream?: number;
  /** Where a snapshot is spooled while it is sent. */
  snapshotSpoolDir?: string;
  snapshotChunkBytes?: number;
  /** Wait this long for calls to finish on stop() before cutting them off. */
  shutdownGraceMs?: number;
  logger?: EtcdApiLogger;
  /** Told of every call (the control plane counts them as grpc_server_* metrics). */
  observer?: GrpcCallObserver;
  /** gRPC over TLS, client certificates from `ca` required; plain h2c without. */
  tls?: GrpcTlsOptions;
}

export const DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
/** etcd lets the gRPC frame exceed max-request-bytes by this much, so it can answer "too large". */
const GRPC_OVERHEAD_BYTES = 512 * 1024;

export class EtcdGrpcServer {
  private server: GrpcServer | undefined;
  private progressTimer: NodeJS.Timeout | undefined;
  private boundPort = 0;
  private readonly log: EtcdApiLogger;
  private readonly opts: Required<Omit<EtcdGrpcServerOptions, 'logger' | 'observer' | 'tls'>>;
  private readonly observer: GrpcCallObserver | undefined;
  private readonly tls: GrpcTlsOptions | undefined;

  constructor(
    private readonly backend: EtcdBackend,
    options: EtcdGrpcServerOptions = {},
  ) {
    this.log = options.logger ?? silentLogger;
    this.observer = options.observer;
    this.tls = options.tls;
    this.opts = {
      maxRequestBytes: options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
      maxTxnOps: options.maxTxnOps ?? 128,
      progressNotifyIntervalMs: options.progressNotifyIntervalMs ?? 10 * 60 * 1000,
      maxWatchersPerStream: options.maxWatchersPerStream ?? 10_000,
      snapshotSpoolDir: options.snapshotSpoolDir ?? tmpdir(),
      snapshotChunkBytes: options.snapshotChunkBytes ?? 32 * 1024,
      shutdownGraceMs: options.shutdownGraceMs ?? 2000,
    };
  }

  /** The port actually bound (useful with port 0). */
  get port(): number {
    return this.boundPort;
  }

  async start(host: string, port: number): Promise<number> {
    if (this.server !== undefined) throw new Error('etcd-api: server already started');
    const server = new GrpcServer({
      maxReceiveMessageBytes: this.opts.maxRequestBytes + GRPC_OVERHEAD_BYTES,
      observer: this.observer,
      tls: this.tls,
      onHandlerError: (path, err) =>
        this.log.error('etcd-api: handler threw', { method: path, error: err as Error }),
    });
    this.register(server);
    this.boundPort = await server.listen(host.replace(/^\[(.*)\]$/, '$1'), port);
    this.server = server;
    this.progressTimer = setInterval(
      () => this.backend.requestProgress(),
      this.opts.progressNotifyIntervalMs,
    );
    this.progressTimer.unref();
    this.log.info('etcd-api: serving the etcd v3 API', { address: `${host}:${this.boundPort}` });
    return this.boundPort;
  }

  /** Rotation: new connections are served with these (same shape as at start). */
  reloadTls(tls: GrpcTlsOptions): void {
    this.server?.setSecureContext({ key: tls.key, cert: tls.cert, ca: tls.ca });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    if (this.progressTimer !== undefined) clearInterval(this.progressTimer);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, this.opts.shutdownGraceMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private register(server: GrpcServer): void {
    const services = loadEtcdServices();
    const header = headerSource(this.backend);
    const encodedHeader = encodedHeaderSource(header);
    const log = this.log;
    const kv = new KvService(this.backend, header, {
      maxRequestBytes: this.opts.maxRequestBytes,
      maxTxnOps: this.opts.maxTxnOps,
    });
    const watchOptions: WatchStreamOptions = {
      maxWatchersPerStream: this.opts.maxWatchersPerStream,
      progressRetryMs: 10,
      progressMaxWaitMs: 10_000,
    };
    server.addService(services.KV, kv.handlers(log));
    server.addService(services.Watch, {
      Watch: (call: ServerDuplexStream<WireWatchRequest, WireWatchResponse | EncodedMessage>) =>
        new WatchStream(
          call,
          this.backend,
          header,
          encodedHeader,
          log,
          watchOptions,
          services.Watch.Watch.responseSerialize,
        ).start(),
    });
    server.addService(services.Lease, new LeaseService(this.backend, header, log).handlers());
    server.addService(services.Cluster, new ClusterService(this.backend, header).handlers(log));
    server.addService(
      services.Maintenance,
      new MaintenanceService(this.backend, header, log, {
        spoolDir: this.opts.snapshotSpoolDir,
        chunkBytes: this.opts.snapshotChunkBytes,
      }).handlers(),
    );
  }
}
