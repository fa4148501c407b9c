import { readFileSync } from 'node:fs';
import { DynamicModule, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { JsonLogger } from '@flotilla/observability';
import { ETCD_API_LISTEN, ETCD_BACKEND, EtcdApiModule } from '@flotilla/etcd-api/etcd-api.module';
import type { GrpcTlsOptions } from '@flotilla/etcd-api';
import type { ReplicatedStore } from '@flotilla/replicated-store';
import type { ControlPlaneConfig } from '../config/control-plane-config';
import { CONTROL_PLANE_CONFIG } from '../config/config.module';
import type { MemberDirectory } from '../replication/member-directory';
import { MEMBER_DIRECTORY, REPLICATED_STORE } from '../replication/replication.tokens';
import { GrpcMetrics } from './grpc.metrics';
import { RaftEtcdBackend } from './raft-etcd-backend';

/**
 * In the secure mode, the etcd port serves gRPC over TLS with the master's serving pair and
 * requires a client certificate from the cluster CA, as etcd's --client-cert-auth.
 */
export function etcdTls(config: ControlPlaneConfig): GrpcTlsOptions | undefined {
  const s = config.security;
  if (s?.mode !== 'secure') return undefined;
  return {
    key: readFileSync(s.tlsKeyFile),
    cert: readFileSync(s.tlsCertFile),
    ca: readFileSync(s.clientCaFile),
  };
}

/** The etcd v3 gRPC API on the etcd port, over the replicated store. */
@Module({})
export class EtcdModule {
  static forRoot(): DynamicModule {
    return {
      module: EtcdModule,
      imports: [
        EtcdApiModule.register([
          {
            provide: ETCD_BACKEND,
            inject: [REPLICATED_STORE, MEMBER_DIRECTORY],
            useFactory: (kv: ReplicatedStore, members: MemberDirectory) =>
              new RaftEtcdBackend(kv, members),
          },
          {
            provide: ETCD_API_LISTEN,
            inject: [CONTROL_PLANE_CONFIG, JsonLogger, Registry],
            useFactory: (config: ControlPlaneConfig, logger: JsonLogger, registry: Registry) => ({
              host: config.listenHost,
              port: config.etcdPort,
              options: {
                logger: logger.child('etcd-api'),
                observer: new GrpcMetrics(registry),
                tls: etcdTls(config),
              },
            }),
          },
        ]),
      ],
    };
  }
}
