import { DynamicModule, Global, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { MetricsIdentity, createMetricsRegistry } from '../metrics/metrics-registry';
import { MetricsController } from './metrics.controller';

/** /metrics. Other modules inject the prom-client Registry (`@Inject(Registry)`) to add theirs. */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(identity: MetricsIdentity): DynamicModule {
    return {
      module: MetricsModule,
      controllers: [MetricsController],
      providers: [{ provide: Registry, useFactory: () => createMetricsRegistry(identity) }],
      exports: [Registry],
    };
  }
}
