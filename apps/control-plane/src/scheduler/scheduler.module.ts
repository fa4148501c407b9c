import {
  BeforeApplicationShutdown,
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import type { ApiServer } from '@flotilla/apiserver';
import {
  coreV1EventSink,
  EventBroadcaster,
  LeaderElector,
  type KubeClient,
  type SharedInformerFactory,
} from '@flotilla/client';
import { JsonLogger } from '@flotilla/observability';
import { Scheduler } from '@flotilla/scheduler';
import { API_SERVER } from '../apiserver/apiserver.tokens';
import { CONTROL_PLANE_CONFIG } from '../config/config.module';
import type { ControlPlaneConfig } from '../config/control-plane-config';
import { inProcessClient } from './in-process-client';

export const SCHEDULER_LEASE = 'kube-scheduler';

/**
 * The scheduler in this master: it contends for the Lease kube-system/kube-scheduler and schedules
 * only while it holds it. The informers run from the start, so a standby has the cluster listed
 * when it takes over; each term builds a new cache and queue from them (nothing assumed by an
 * earlier term can linger). On shutdown the lease is released so another master takes over at once.
 */
@Injectable()
class SchedulerRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private elector: LeaderElector | undefined;
  private informers: SharedInformerFactory | undefined;
  private readonly log: JsonLogger;

  constructor(
    @Inject(API_SERVER) private readonly server: ApiServer,
    @Inject(CONTROL_PLANE_CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(Registry) private readonly registry: Registry,
    @Inject(JsonLogger) logger: JsonLogger,
  ) {
    this.log = logger.child('scheduler');
  }

  onApplicationBootstrap(): void {
    if (this.config.disableScheduler) {
      this.log.info('scheduler disabled (--disable-scheduler)');
      return;
    }
    const client = inProcessClient(this.server, 'kube-scheduler');
    this.informers = Scheduler.informerFactory(client, (err, resource) =>
      this.log.warn('scheduler informer', { resource, error: String(err) }),
    );
    Scheduler.warmInformers(client, this.informers);
    this.elector = new LeaderElector({
      leases: client.leases('kube-system'),
      leaseName: SCHEDULER_LEASE,
      identity: `${this.config.name}_${randomBytes(8).toString('hex')}`,
      registry: this.registry,
      callbacks: {
        onStartedLeading: (signal) => this.term(client, this.informers!, signal),
        onNewLeader: (identity) => this.log.info('scheduler leader', { identity }),
      },
      onError: (err, phase) =>
        this.log.warn('scheduler leader election', { phase, error: String(err) }),
    });
    void this.elector.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.elector?.stop();
    this.informers?.shutdown();
  }

  private async term(
    client: KubeClient,
    informers: SharedInformerFactory,
    signal: AbortSignal,
  ): Promise<void> {
    const started = Date.now();
    this.log.info('scheduler leading', { identity: this.elector?.identity });
    const events = new EventBroadcaster({
      sink: coreV1EventSink((ns) => client.forResource('events', '', ns)),
    });
    const scheduler = new Scheduler({
      client,
      informers,
      config: this.config.schedulerConfig,
      recorder: events.newRecorder({
        reportingController: 'default-scheduler',
        reportingInstance: `default-scheduler-${this.config.name}`,
      }),
      registry: this.registry,
      log: (level, msg, fields) => this.log[level](msg, fields),
    });
    try {
      await scheduler.run(signal);
    } catch (err) {
      this.log.error('scheduler stopped on an error', { error: String(err) });
    } finally {
      events.shutdown();
      this.log.info('scheduler stopped leading', {
        boundPods: scheduler.boundTotal,
        ledSeconds: Math.round((Date.now() - started) / 1000),
      });
    }
  }
}

/** kube-scheduler, Lease-elected among the masters (off with --disable-scheduler). */
@Module({})
export class SchedulerModule {
  /** `api` is the ApiServerModule instance the master imports (the scheduler's API server). */
  static forRoot(api: DynamicModule): DynamicModule {
    return { module: SchedulerModule, imports: [api], providers: [SchedulerRunner] };
  }
}
