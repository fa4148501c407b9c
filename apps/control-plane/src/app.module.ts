import { DynamicModule, Module } from '@nestjs/common';
import { FLOTILLA_VERSION, HealthRegistry, JsonLogger } from '@flotilla/observability';
import { ObservabilityModule } from '@flotilla/observability/nest';
import { ConfigModule } from './config/config.module';
import { ApiServerModule } from './apiserver/apiserver.module';
import { ApiServerLoopsModule } from './components/apiserver-loops.module';
import { ControllerManagerModule } from './components/controller-manager.module';
import { EtcdModule } from './etcd/etcd.module';
import { ReplicationModule } from './replication/replication.module';
import { SchedulerModule } from './scheduler/scheduler.module';
import type { ControlPlaneConfig } from './config/control-plane-config';

export interface ControlPlaneParts {
  config: ControlPlaneConfig;
  logger: JsonLogger;
  health: HealthRegistry;
}

/** What a master is made of. */
@Module({})
export class AppModule {
  static forRoot({ config, logger, health }: ControlPlaneParts): DynamicModule {
    const api = ApiServerModule.forRoot();
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config), // the validated flags and environment
        // JSON lines carrying the node name, /healthz /livez /readyz, /metrics
        ObservabilityModule.forRoot({
          logger,
          health,
          metrics: { version: FLOTILLA_VERSION, node: config.name, component: 'control-plane' },
        }),
        ReplicationModule.forRoot(), // MVCC store + Raft over the durable log + peers over WebSocket
        EtcdModule.forRoot(), // etcd v3 gRPC API on the etcd port
        api, // Kubernetes REST API, watch and discovery on the API port
        ApiServerLoopsModule.forRoot(), // system namespaces, master Leases, the kubernetes Service
        ControllerManagerModule.forRoot(), // kube-controller-manager, acting while it holds its Lease
        SchedulerModule.forRoot(api), // kube-scheduler while this master holds its Lease
      ],
    };
  }
}
