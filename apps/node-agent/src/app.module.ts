import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { FLOTILLA_VERSION, HealthRegistry, JsonLogger } from '@flotilla/observability';
import { ObservabilityModule } from '@flotilla/observability/nest';
import type { MastersClient } from './api/masters-client';
import { ConfigModule } from './config/config.module';
import { NetworkModule } from './network/network.module';
import type { NodeAgentConfig } from './config/node-agent-config';
import { KubeletModule } from './kubelet/kubelet.module';
import { NodeNetworkState } from './network/node-network-state';

export interface NodeAgentParts {
  config: NodeAgentConfig;
  logger: JsonLogger;
  health: HealthRegistry;
  /** Reaches the masters (a KubeClient over --servers or --kubeconfig; a fake one in tests). */
  client?: MastersClient;
  /** kube-proxy's own (--proxy-kubeconfig); `client` when absent. */
  proxyClient?: MastersClient;
}

const MASTERS_CLIENT = Symbol('MastersClient');
const PROXY_CLIENT = Symbol('ProxyClient');

/** The root module's hooks run after every imported module's: the client closes last. */
@Injectable()
class MastersClientLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(MASTERS_CLIENT) private readonly client: MastersClient | undefined,
    @Inject(PROXY_CLIENT) private readonly proxyClient: MastersClient | undefined,
  ) {}

  onApplicationShutdown(): void {
    this.client?.close?.();
    this.proxyClient?.close?.();
  }
}

/** What a worker is made of. */
@Module({})
export class AppModule {
  static forRoot({ config, logger, health, client, proxyClient }: NodeAgentParts): DynamicModule {
    // The pod network's readiness and the cluster DNS address, from networking to the kubelet.
    const networkState = new NodeNetworkState(config.network?.podNetwork === true);
    // With a client CA the kubelet server (10250) serves /metrics and /pods behind authorization;
    // the plain port keeps only the health endpoints, as Kubernetes' healthz port.
    const secure = config.kubelet?.server?.clientCaFile !== undefined;
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config), // the validated flags and environment
        // JSON lines carrying the node name, /healthz /livez /readyz, /metrics (plain port only
        // when insecure)
        ObservabilityModule.forRoot({
          logger,
          health,
          metrics: { version: FLOTILLA_VERSION, node: config.name, component: 'node-agent' },
          serveMetrics: !secure,
        }),
        // kube-proxy (nftables), the pod network (CNI, host-gw routes) and cluster DNS
        NetworkModule.forRoot(config, proxyClient ?? client, networkState),
        // the Node, its Lease and its pods through the container runtime (--runtime-endpoint)
        ...(config.kubelet
          ? [KubeletModule.forRoot(client, networkState, { plainPods: !secure })]
          : []),
      ],
      providers: [
        { provide: MASTERS_CLIENT, useValue: client },
        { provide: PROXY_CLIENT, useValue: proxyClient },
        MastersClientLifecycle,
      ],
    };
  }
}
