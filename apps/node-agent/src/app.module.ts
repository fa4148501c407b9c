import { DynamicModule, Module } from '@nestjs/common';
import { FLOTILLA_VERSION, HealthRegistry, JsonLogger } from '@flotilla/observability';
import { ObservabilityModule } from '@flotilla/observability/nest';
import { ConfigModule } from './config/config.module';
import type { NodeAgentConfig } from './config/node-agent-config';
import { KubeletModule } from './kubelet/kubelet.module';

export interface NodeAgentParts {
  config: NodeAgentConfig;
  logger: JsonLogger;
  health: HealthRegistry;
}

/** What a worker is made of. */
@Module({})
export class AppModule {
  static forRoot({ config, logger, health }: NodeAgentParts): DynamicModule {
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
        // pods through the container runtime, when the node has one (--runtime-endpoint)
        ...(config.kubelet ? [KubeletModule.forRoot()] : []),
        // next: the kubelet's API side (Node, Lease, pods from the API), KubeProxyModule
      ],
    };
  }
}
