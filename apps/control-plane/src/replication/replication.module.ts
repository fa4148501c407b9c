import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Registry } from 'prom-client';
import { HEALTHY, HealthRegistry, JsonLogger, unhealthy } from '@flotilla/observability';
import type { ControlPlaneConfig } from '../config/control-plane-config';
import { CONTROL_PLANE_CONFIG } from '../config/config.module';
import { Replication, openReplication } from './open-replication';
import { PeerGateway } from './peer.gateway';
import { RaftMetrics } from './raft.metrics';
import { ReadBarrierReadiness } from './read-barrier-readiness';
import {
  LEASE_KEEPER,
  MEMBER_DIRECTORY,
  MVCC_STORE,
  PEER_SERVER,
  PEER_TRANSPORT,
  RAFT_NODE,
  REPLICATED_STORE,
} from './replication.tokens';

const REPLICATION = Symbol('REPLICATION');

/** Starts the member once every module is ready; stops it last, handing leadership over. */
@Injectable()
class ReplicationLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(REPLICATION) private readonly r: Replication,
    @Inject(HealthRegistry) private readonly health: HealthRegistry,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {}

  onApplicationBootstrap(): void {
    const { node, transport, leases, reads } = this.r;
    node.on('leader', (lead: string, role: string) =>
      this.logger.info('leader changed', { leader: lead || null, role, term: node.term() }),
    );
    node.on('fatal', (e: Error) =>
      this.logger.error('raft stopped after a fatal error', { error: e.message }),
    );
    this.health.register({
      name: 'raft-loop',
      endpoints: ['livez', 'readyz'],
      check: () => (node.failure() ? unhealthy(node.failure()!.message) : HEALTHY),
    });
    this.health.register({
      name: 'raft-leader',
      endpoints: ['readyz'],
      check: () => (node.leader() ? HEALTHY : unhealthy('no raft leader known')),
    });
    this.health.register({
      name: 'raft-caught-up',
      endpoints: ['readyz'],
      check: () => {
        const s = node.status();
        return s.commit - s.applied <= 1000
          ? HEALTHY
          : unhealthy(`applied ${s.applied} of ${s.commit} committed entries`);
      },
    });
    const readable = new ReadBarrierReadiness(reads);
    this.health.register({
      name: 'linearizable-read',
      endpoints: ['readyz'],
      check: () => readable.check(),
    });
    node.start(transport);
    transport.start();
    leases.start();
  }

  async onApplicationShutdown(): Promise<void> {
    const { node, transport, leases, peerServer, store } = this.r;
    leases.stop();
    await node.stop(true);
    transport.stop();
    for (const client of peerServer.clients) client.terminate();
    await new Promise<void>((resolve) => peerServer.close(() => resolve()));
    await store.close();
  }
}

/** A master's replicated core: MVCC store, Raft over the durable log, peers over WebSocket. */
@Global()
@Module({})
export class ReplicationModule {
  static forRoot(): DynamicModule {
    const pick = <K extends keyof Replication>(provide: symbol, key: K) => ({
      provide,
      inject: [REPLICATION],
      useFactory: (r: Replication) => r[key],
    });
    return {
      module: ReplicationModule,
      providers: [
        {
          provide: REPLICATION,
          inject: [CONTROL_PLANE_CONFIG, JsonLogger, Registry],
          useFactory: (config: ControlPlaneConfig, logger: JsonLogger, registry: Registry) =>
            openReplication(config, logger, new RaftMetrics(registry)),
        },
        pick(MVCC_STORE, 'store'),
        pick(RAFT_NODE, 'node'),
        pick(PEER_TRANSPORT, 'transport'),
        pick(PEER_SERVER, 'peerServer'),
        pick(LEASE_KEEPER, 'leases'),
        pick(REPLICATED_STORE, 'replicated'),
        pick(MEMBER_DIRECTORY, 'members'),
        PeerGateway,
        ReplicationLifecycle,
      ],
      exports: [
        MVCC_STORE,
        RAFT_NODE,
        PEER_TRANSPORT,
        PEER_SERVER,
        LEASE_KEEPER,
        REPLICATED_STORE,
        MEMBER_DIRECTORY,
      ],
    };
  }
}
