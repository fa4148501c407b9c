import { DynamicModule, Global, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { MetricsIdentity, createMetricsRegistry } from '../metrics/metrics-registry';
import { MetricsController } from './metrics.controller';

/**
 * /metrics. Other modules inject the prom-client Registry (`@Inject(Registry)`) to add theirs.
 * serve false: the registry without the route (a server that exposes it elsewhere, behind
 * authorization).
 */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(identity: MetricsIdentity, serve = true): DynamicModule {
    return {
      module: MetricsModule,
      controllers: serve ? [MetricsController] : [],
      providers: [{ provide: Registry, useFactory: () => createMetricsRegistry(identity) }],
      exports: [Registry],
    };
  }
}
