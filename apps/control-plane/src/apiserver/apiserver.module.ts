import {
  BeforeApplicationShutdown,
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { lookup } from 'node:dns/promises';
import type { Server } from 'node:http';
import { isIP } from 'node:net';
import { Registry } from 'prom-client';
import { JsonLogger } from '@flotilla/observability';
import { readFileSync } from 'node:fs';
import {
  ApiServer,
  MasterAddress,
  TokenAuthenticator,
  attachWebSocketWatch,
  backendOf,
  MASTER_LEASE_REFRESH_MS,
} from '@flotilla/apiserver';
import type { RaftNode } from '@flotilla/raft-node';
import type { ReplicatedStore } from '@flotilla/replicated-store';
import { RAFT_NODE, REPLICATED_STORE } from '../replication/replication.tokens';
import { ApiController } from './api.controller';
import { API_SERVER } from './apiserver.tokens';
import { authenticateUpgrade } from './auth-gate';
import { settingError } from '@flotilla/process';
import type { ControlPlaneConfig } from '../config/control-plane-config';
import { CONTROL_PLANE_CONFIG } from '../config/config.module';

/** How long a stopping master tries to take itself out of the endpoints (no quorum: it can't). */
const LEAVE_TIMEOUT_MS = 3_000;

/**
 * Once a leader is known: the bootstrap namespaces, then the kubernetes Service with its
 * endpoints set to the live masters, renewing this master's lease each round (every
 * --master-lease-refresh, so a deleted Service or a lost entry comes back and a departed master
 * goes). On shutdown, before Raft stops, this master takes itself out. WebSocket watches on the
 * API port.
 */
@Injectable()
class ApiServerLifecycle
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private detachWs: (() => void) | undefined;
  private bootstrapped = false;
  private stopped = false;
  private reconcileTimer: NodeJS.Timeout | undefined;
  /** The round under way, awaited on shutdown so it cannot put this master back afterwards. */
  private round: Promise<void> | undefined;
  private lastProblem = '';

  constructor(
    @Inject(API_SERVER) private readonly server: ApiServer,
    @Inject(RAFT_NODE) private readonly node: RaftNode,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(CONTROL_PLANE_CONFIG) private readonly config: ControlPlaneConfig,
  ) {}

  onApplicationBootstrap(): void {
    const http = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const secure = this.config.security?.mode === 'secure';
    this.detachWs = attachWebSocketWatch(
      http,
      this.server.handler,
      this.server.watchSettings,
      secure ? (req) => authenticateUpgrade(this.server, req) : undefined,
    );
    // Warm the namespace cache: namespace lifecycle admission reads it on every create.
    void this.server.caches
      .for({ group: '', plural: 'namespaces' })
      .start()
      .catch(() => undefined);
    this.node.on('leader', (lead: string) => {
      if (lead) void this.bootstrap();
    });
    if (this.node.leader()) void this.bootstrap();
  }

  /** Every master may try: create-if-absent transactions; retried a few times on failure. */
  private async bootstrap(): Promise<void> {
    if (this.bootstrapped) return;
    this.bootstrapped = true;
    for (let attempt = 0; attempt < 10 && !this.stopped; attempt++) {
      try {
        const created = await this.server.bootstrap();
        if (created.length > 0) this.logger.info('created bootstrap namespaces', { created });
        this.scheduleReconcile(0);
        return;
      } catch (err) {
        this.logger.warn('bootstrap namespaces failed; retrying', { error: String(err) });
        await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
      }
    }
    this.bootstrapped = false;
  }

  private scheduleReconcile(delayMs: number): void {
    if (this.stopped) return;
    this.reconcileTimer = setTimeout(() => {
      this.round = this.reconcileKubernetesService().finally(() =>
        this.scheduleReconcile(this.config.masterLeaseRefreshMs ?? MASTER_LEASE_REFRESH_MS),
      );
    }, delayMs);
    this.reconcileTimer.unref();
  }

  private async reconcileKubernetesService(): Promise<void> {
    const apiPort = this.apiPort();
    try {
      const self = await this.masterAddress(apiPort);
      const outcome = await this.server.reconcileKubernetesService(self, apiPort);
      if (outcome.serviceCreated) this.logger.info('created the kubernetes Service');
      if (outcome.endpointsChanged) {
        this.logger.info('updated the kubernetes Service endpoints', {
          masters: outcome.masters.map((m) => `${m.name}=${m.ip}:${m.port}`),
        });
      }
      this.lastProblem = '';
    } catch (err) {
      this.problem('kubernetes Service reconcile failed; retrying', String(err));
    }
  }

  /** This master's advertised address as an IPv4 address (a host name is looked up). */
  private async masterAddress(apiPort: number): Promise<MasterAddress | undefined> {
    const host = this.config.advertiseHost;
    let ip = host;
    if (isIP(host) === 0) {
      try {
        ip = (await lookup(host, { family: 4 })).address;
      } catch (err) {
        this.problem(
          'cannot resolve the advertised host; not in the kubernetes endpoints',
          String(err),
        );
        return undefined;
      }
    }
    if (isIP(ip) !== 4) {
      this.problem('the kubernetes endpoints are IPv4; not listing this master', ip);
      return undefined;
    }
    return { name: this.config.name, ip, port: apiPort };
  }

  /** The port the API listens on (--api-port, or the one the system chose for port 0). */
  private apiPort(): number {
    const http = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const address = http.address();
    return typeof address === 'object' && address ? address.port : this.config.apiPort;
  }

  /** Warns once per distinct problem, not every round. */
  private problem(msg: string, error: string): void {
    if (`${msg} ${error}` === this.lastProblem) return;
    this.lastProblem = `${msg} ${error}`;
    this.logger.warn(msg, { error });
  }

  /** Raft still runs here (it stops in onApplicationShutdown): revoke the lease, then leave. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconcileTimer);
    if (!this.bootstrapped) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, LEAVE_TIMEOUT_MS);
    });
    const leave = async () => {
      await this.round;
      const apiPort = this.apiPort();
      await this.server.leaveKubernetesService(await this.masterAddress(apiPort), apiPort);
      this.logger.info('left the kubernetes Service endpoints');
    };
    try {
      await Promise.race([
        leave().catch((err) =>
          this.logger.warn('could not leave the kubernetes Service endpoints', {
            error: String(err),
          }),
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.reconcileTimer);
    this.detachWs?.();
    this.server.stop();
  }
}

/** A file a flag names, read at start: a clear one-line error when it cannot be. */
function readSetting<T>(flag: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw settingError(flag, (e as Error).message);
  }
}

/** The Kubernetes REST API on the API port, over the replicated store (global: components use it in process). */
@Global()
@Module({})
export class ApiServerModule {
  static forRoot(): DynamicModule {
    return {
      module: ApiServerModule,
      controllers: [ApiController],
      providers: [
        {
          provide: API_SERVER,
          inject: [REPLICATED_STORE, Registry, JsonLogger, CONTROL_PLANE_CONFIG],
          useFactory: (
            store: ReplicatedStore,
            registry: Registry,
            logger: JsonLogger,
            config: ControlPlaneConfig,
          ) => {
            const log = logger.child('apiserver');
            const security = config.security;
            const secure = security?.mode === 'secure' ? security : undefined;
            return new ApiServer(backendOf(store), {
              authorization: secure ? 'RBAC' : 'AlwaysAllow',
              tokenAuth: secure?.tokenAuthFile
                ? readSetting('--token-auth-file', () =>
                    TokenAuthenticator.fromFile(secure.tokenAuthFile!),
                  )
                : undefined,
              serviceAccountKey: secure?.serviceAccountKeyFile
                ? readSetting('--service-account-key-file', () =>
                    readFileSync(secure.serviceAccountKeyFile!),
                  )
                : undefined,
              serviceCidr: config.serviceCidr,
              serviceNodePortRange: config.serviceNodePortRange,
              masterLeaseTtlSeconds: config.masterLeaseTtlSeconds,
              metrics: registry,
              log: (level, msg, fields) => log[level](msg, fields),
            });
          },
        },
        ApiServerLifecycle,
      ],
      exports: [API_SERVER],
    };
  }
}
