import {
  DynamicModule,
  Global,
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
import type { ReplicatedStore } from '@flotilla/replicated-store';
import { REPLICATED_STORE } from '../replication/replication.tokens';
import { ApiController } from './api.controller';
import { API_AUTHENTICATOR, API_SERVER } from './apiserver.tokens';
import { settingError } from '@flotilla/process';
import type { ControlPlaneConfig } from '../config/control-plane-config';
import { CONTROL_PLANE_CONFIG } from '../config/config.module';

/**
 * WebSocket watches on the API port, and the admission caches warmed. The API server's own loops
 * (namespaces, the kubernetes Service, master Leases) are controllers: components/apiserver-loops.
 */
@Injectable()
class ApiServerLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private detachWs: (() => void) | undefined;

  constructor(
    @Inject(API_SERVER) private readonly server: ApiServer,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
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
    // Namespace lifecycle and pod priority admission read these caches on every create.
    this.server.warmCaches();
  }

  onApplicationShutdown(): void {
    this.detachWs?.();
    this.server.stop();
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
