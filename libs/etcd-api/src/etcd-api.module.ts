// Nest wiring only: serves the etcd API over the EtcdBackend the application provides under
// ETCD_BACKEND, on the host and port it provides under ETCD_API_LISTEN.
import { Inject, Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { DynamicModule, Provider } from '@nestjs/common';
import type { EtcdBackend } from './backend';
import { EtcdGrpcServer, EtcdGrpcServerOptions } from './etcd-grpc-server';

export const ETCD_BACKEND = Symbol('ETCD_BACKEND');
export const ETCD_API_LISTEN = Symbol('ETCD_API_LISTEN');

export interface EtcdApiListen {
  host: string;
  port: number;
  options?: EtcdGrpcServerOptions;
}

@Injectable()
class EtcdApiLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(EtcdGrpcServer) private readonly server: EtcdGrpcServer,
    @Inject(ETCD_API_LISTEN) private readonly listen: EtcdApiListen,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.server.start(this.listen.host, this.listen.port);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server.stop();
  }
}

@Module({})
export class EtcdApiModule {
  /** `providers` must supply ETCD_BACKEND and ETCD_API_LISTEN (or import a module that does). */
  static register(
    providers: Provider[] = [],
    imports: DynamicModule['imports'] = [],
  ): DynamicModule {
    return {
      module: EtcdApiModule,
      imports,
      providers: [
        ...providers,
        {
          provide: EtcdGrpcServer,
          inject: [ETCD_BACKEND, ETCD_API_LISTEN],
          useFactory: (backend: EtcdBackend, listen: EtcdApiListen) =>
            new EtcdGrpcServer(backend, listen.options),
        },
        EtcdApiLifecycle,
      ],
      exports: [EtcdGrpcServer],
    };
  }
}
