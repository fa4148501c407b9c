import { DynamicModule, Module } from '@nestjs/common';
import { FLOTILLA_VERSION, HealthRegistry, JsonLogger } from '@flotilla/observability';
import { ObservabilityModule } from '@flotilla/observability/nest';
import { ConfigModule } from './config/config.module';
import { ClusterClient, NetworkModule } from './network/network.module';
import type { NodeAgentConfig } from './config/node-agent-config';

export interface NodeAgentParts {
  config: NodeAgentConfig;
  logger: JsonLogger;
  health: HealthRegistry;
  /** Lists and watches the cluster (a KubeClient over --servers; a fake one in tests). */
  client?: ClusterClient;
}

/** What a worker is made of. */
@Module({})
export class AppModule {
  static forRoot({ config, logger, health, client }: NodeAgentParts): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config), // the validated flags and environment
        // JSON lines carrying the node name, /healthz /livez /readyz, /metrics
        ObservabilityModule.forRoot({
          logger,
          health,
          metrics: { version: FLOTILLA_VERSION, node: config.name, component: 'node-agent' },
        }),
        // kube-proxy (nftables), the pod network (CNI, host-gw routes) and cluster DNS
        NetworkModule.forRoot(config, client),
        // next: KubeletModule (Node, Lease, pods)
      ],
    };
  }
}
