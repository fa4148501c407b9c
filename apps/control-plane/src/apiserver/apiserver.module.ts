import {
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { JsonLogger } from '@flotilla/observability';
import {
  ApiServer,
  TokenAuthenticator,
  attachWebSocketWatch,
  backendOf,
} from '@flotilla/apiserver';
import type { RaftNode, ReplicatedStore } from '@flotilla/raft-node';
import { RAFT_NODE, REPLICATED_STORE } from '../replication/replication.tokens';
import { ApiController } from './api.controller';
import { API_AUTHENTICATOR, API_SERVER } from './apiserver.tokens';
import { settingError } from '@flotilla/process';
import type { ControlPlaneConfig } from '../config/control-plane-config';
import { CONTROL_PLANE_CONFIG } from '../config/config.module';

/** Bootstrap namespaces once a leader is known; WebSocket watches on the API port. */
@Injectable()
class ApiServerLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private detachWs: (() => void) | undefined;
  private bootstrapped = false;
  private stopped = false;

  constructor(
    @Inject(API_SERVER) private readonly server: ApiServer,
    @Inject(RAFT_NODE) private readonly node: RaftNode,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(API_AUTHENTICATOR) private readonly auth: TokenAuthenticator | null,
  ) {}

  onApplicationBootstrap(): void {
    const http = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const auth = this.auth;
    this.detachWs = attachWebSocketWatch(
      http,
      this.server.handler,
      this.server.watchSettings,
      auth ? (req) => auth.authenticate(req.headers) !== undefined : undefined,
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
        return;
      } catch (err) {
        this.logger.warn('bootstrap namespaces failed; retrying', { error: String(err) });
        await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
      }
    }
    this.bootstrapped = false;
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    this.detachWs?.();
    this.server.stop();
  }
}

/** The Kubernetes REST API on the API port, over the replicated store. */
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
            return new ApiServer(backendOf(store), {
              serviceCidr: config.serviceCidr,
              serviceNodePortRange: config.serviceNodePortRange,
              metrics: registry,
              log: (level, msg, fields) => log[level](msg, fields),
            });
          },
        },
        {
          provide: API_AUTHENTICATOR,
          inject: [CONTROL_PLANE_CONFIG],
          useFactory: (config: ControlPlaneConfig) => {
            if (!config.tokenAuthFile) return null;
            try {
              return TokenAuthenticator.fromFile(config.tokenAuthFile);
            } catch (e) {
              throw settingError('--token-auth-file', (e as Error).message);
            }
          },
        },
        ApiServerLifecycle,
      ],
      exports: [API_SERVER, API_AUTHENTICATOR],
    };
  }
}
