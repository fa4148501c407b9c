import {
  Controller,
  DynamicModule,
  Get,
  Header,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import {
  FLOTILLA_VERSION,
  HEALTHY,
  HealthRegistry,
  JsonLogger,
  unhealthy,
} from '@flotilla/observability';
import { NodeKubelet, PROMETHEUS_TEXT } from '@flotilla/kubelet';
import { Registry } from 'prom-client';
import type { MastersClient } from '../api/masters-client';
import type { NodeAgentConfig } from '../config/node-agent-config';
import { NODE_AGENT_CONFIG } from '../config/config.module';
import type { NodeNetworkState } from '../network/node-network-state';

const NETWORK_STATE = Symbol('NodeNetworkState');

/**
 * Starts the kubelet once every module is built (the Node is registered from here); leaves pods
 * running when the agent stops.
 */
@Injectable()
class KubeletLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(NodeKubelet) private readonly node: NodeKubelet,
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
    @Inject(NETWORK_STATE) private readonly network: NodeNetworkState,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // The Node's NetworkUnavailable follows the pod network: written as soon as it changes.
    this.network.onChange(() => this.node.podNetworkChanged());
    await this.node.start();
    this.health.register({
      name: 'kubelet-runtime',
      endpoints: ['readyz'],
      check: async () => {
        const problem = await this.node.runtimeProblem();
        return problem === undefined ? HEALTHY : unhealthy(problem);
      },
    });
  }

  onApplicationShutdown(): void {
    this.node.stop();
  }
}

/**
 * The pods this node runs, with their status, and its container metrics on the plain port: only
 * without a client CA (the kubelet server serves them behind authorization otherwise).
 */
@Controller()
class PodsController {
  constructor(@Inject(NodeKubelet) private readonly node: NodeKubelet) {}

  @Get('pods')
  pods(): unknown {
    return { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: this.node.kubelet.pods() };
  }

  // The container metrics, as the kubelet server has them; here only without a client CA, as
  // /metrics is.
  @Get('metrics/resource')
  @Header('content-type', PROMETHEUS_TEXT)
  resourceMetrics(): Promise<string> {
    return this.node.containerMetrics.resource();
  }

  @Get('metrics/cadvisor')
  @Header('content-type', PROMETHEUS_TEXT)
  cadvisorMetrics(): Promise<string> {
    return this.node.containerMetrics.cadvisor();
  }
}

@Module({})
export class KubeletModule {
  /** client: the masters; without one the kubelet runs static pods only (--pod-manifest-path). */
  static forRoot(
    client: MastersClient | undefined,
    network: NodeNetworkState,
    options: { plainPods: boolean } = { plainPods: true },
  ): DynamicModule {
    return {
      module: KubeletModule,
      controllers: options.plainPods ? [PodsController] : [],
      providers: [
        {
          provide: NodeKubelet,
          inject: [NODE_AGENT_CONFIG, JsonLogger, Registry],
          useFactory: (config: NodeAgentConfig, logger: JsonLogger, registry: Registry) => {
            const k = config.kubelet!;
            const metrics = async () => ({
              contentType: registry.contentType,
              body: await registry.metrics(),
            });
            return new NodeKubelet(
              {
                nodeName: config.name,
                runtimeEndpoint: k.runtimeEndpoint,
                rootDir: k.rootDir,
                podLogDir: k.podLogDir,
                manifestDir: k.manifestDir,
                nodeIPs: k.nodeIPs,
                cgroupRoot: k.cgroupRoot,
                clusterDns: k.clusterDns,
                clusterDomain: k.clusterDomain,
                clusterDnsFromService: k.clusterDnsFromService,
                ...(k.server ? { server: { ...k.server, metrics } } : {}),
                labels: k.nodeLabels,
                taints: k.taints,
                ...(network.managesPodNetwork ? { podNetwork: () => network.podNetwork } : {}),
                kubeletVersion: `v1.32.0-flotilla.${FLOTILLA_VERSION}`,
                imageGc: k.imageGc,
                sandboxImage: k.sandboxImage,
                metricsRegistry: registry,
              },
              logger.child('kubelet'),
              client ? (info, namespace) => client.resource(info, namespace) : undefined,
            );
          },
        },
        { provide: NETWORK_STATE, useValue: network },
        KubeletLifecycle,
      ],
    };
  }
}
