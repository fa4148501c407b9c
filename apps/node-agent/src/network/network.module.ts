import {
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { findResource, type ResourceInfo } from '@flotilla/api';
import {
  EventBroadcaster,
  type ResourceOps,
  SharedInformerFactory,
  eventsV1Sink,
} from '@flotilla/client';
import {
  KUBE_PROXY_REPORTING_CONTROLLER,
  nftSessionSpawner,
  processRunner,
} from '@flotilla/kube-proxy';
import { NodeNetworkAgent, feedNodeNetwork } from '@flotilla/node-network';
import { HEALTHY, HealthRegistry, JsonLogger, unhealthy } from '@flotilla/observability';
import { Registry } from 'prom-client';
import type { NodeAgentConfig } from '../config/node-agent-config';
import type { NodeNetworkState } from './node-network-state';

/** How the agent lists and watches the cluster and writes events: @flotilla/client's KubeClient fits. */
export interface ClusterClient {
  resource(info: ResourceInfo, namespace?: string): ResourceOps;
}

const INFORMERS = Symbol('NetworkInformers');
const EVENTS = Symbol('NetworkEvents');
const EVENTS_V1: ResourceInfo = findResource('events.k8s.io', 'v1', 'events')!;

/**
 * Starts the node's networking once every module is ready and stops it last. It acts on informer
 * events (Services, EndpointSlices, Nodes); without a client nothing arrives, and kube-proxy, by
 * design, writes no table before its informers have listed everything.
 */
@Injectable()
class NetworkLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(NodeNetworkAgent) private readonly agent: NodeNetworkAgent,
    @Inject(INFORMERS) private readonly informers: SharedInformerFactory | undefined,
    @Inject(EVENTS) private readonly events: EventBroadcaster | undefined,
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
    if (this.informers) {
      feedNodeNetwork(this.agent, this.informers);
      this.informers.start();
    }
    this.logger.info('node networking started', {
      informers: this.informers !== undefined,
      proxies: this.agent.proxiers.map((p) => p.family).join(','),
      podNetwork: this.agent.podNetwork !== undefined,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.informers?.shutdown();
    await this.agent.stop();
    this.events?.shutdown();
  }
}

/** kube-proxy (nftables), the pod network and cluster DNS of this node. */
@Module({})
export class NetworkModule {
  static forRoot(
    config: NodeAgentConfig,
    client: ClusterClient | undefined,
    state: NodeNetworkState,
  ): DynamicModule {
    const network = config.network;
    if (!network) return { module: NetworkModule };
    return {
      module: NetworkModule,
      providers: [
        {
          // kube-proxy's events (events.k8s.io/v1), written in the background; repeats are a series.
          provide: EVENTS,
          inject: [JsonLogger],
          useFactory: (logger: JsonLogger) =>
            client
              ? new EventBroadcaster({
                  sink: eventsV1Sink((ns) => client.resource(EVENTS_V1, ns)),
                  onError: (err) =>
                    logger.warn('kube-proxy event not written', { error: String(err) }),
                })
              : undefined,
        },
        {
          provide: NodeNetworkAgent,
          inject: [JsonLogger, Registry, EVENTS],
          useFactory: (logger: JsonLogger, registry: Registry, events?: EventBroadcaster) =>
            new NodeNetworkAgent({
              settings: { ...network, nodeName: config.name },
              // The agent runs inside the node's network namespace: tools run right here.
              runner: processRunner(),
              // kube-proxy's incremental syncs through one long-lived nft -i.
              nftSession: nftSessionSpawner(network.nftPath),
              logger,
              registry,
              events: events?.newRecorder({
                reportingController: KUBE_PROXY_REPORTING_CONTROLLER,
                reportingInstance: config.name,
              }),
              // The kubelet reports this as the Node's NetworkUnavailable condition.
              onNetworkReadyChange: (ready, message) => {
                logger.info('pod network', { ready, message });
                state.setPodNetwork(ready, message);
              },
            }),
        },
        {
          provide: INFORMERS,
          inject: [JsonLogger],
          useFactory: (logger: JsonLogger) =>
            client
              ? new SharedInformerFactory({
                  listerWatcher: (info, ns) => client.resource(info, ns),
                  onError: (err, resource, phase) =>
                    logger.warn('informer error', {
                      resource,
                      phase,
                      error: (err as Error).message,
                    }),
                })
              : undefined,
        },
        NetworkLifecycle,
      ],
      exports: [NodeNetworkAgent],
    };
  }
}
