import {
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { processRunner } from '@flotilla/kube-proxy';
import { NodeNetworkAgent } from '@flotilla/node-network';
import { HEALTHY, HealthRegistry, JsonLogger, unhealthy } from '@flotilla/observability';
import { Registry } from 'prom-client';
import type { NodeAgentConfig } from '../config/node-agent-config';

/**
 * Starts the node's networking once every module is ready and stops it last. It acts on informer
 * events (Services, EndpointSlices, Nodes); until the agent talks to the masters nothing arrives,
 * and kube-proxy, by design, writes no table before its informers have listed everything.
 */
@Injectable()
class NetworkLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(NodeNetworkAgent) private readonly agent: NodeNetworkAgent,
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.health.register({
      name: 'kube-proxy',
      endpoints: ['livez'],
      check: () =>
        this.agent.proxiesHealthy ? HEALTHY : unhealthy('changes wait too long for nftables'),
    });
    await this.agent.start();
    this.logger.info('node networking started', {
      proxies: this.agent.proxiers.map((p) => p.family).join(','),
      podNetwork: this.agent.podNetwork !== undefined,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.stop();
  }
}

/** kube-proxy (nftables), the pod network and cluster DNS of this node. */
@Module({})
export class NetworkModule {
  static forRoot(config: NodeAgentConfig): DynamicModule {
    const network = config.network;
    if (!network) return { module: NetworkModule };
    return {
      module: NetworkModule,
      providers: [
        {
          provide: NodeNetworkAgent,
          inject: [JsonLogger, Registry],
          useFactory: (logger: JsonLogger, registry: Registry) =>
            new NodeNetworkAgent({
              settings: { ...network, nodeName: config.name },
              // The agent runs inside the node's network namespace: tools run right here.
              runner: processRunner(),
              logger,
              registry,
            }),
        },
        NetworkLifecycle,
      ],
      exports: [NodeNetworkAgent],
    };
  }
}
