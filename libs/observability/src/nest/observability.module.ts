import { DynamicModule, Module } from '@nestjs/common';
import type { HealthRegistry } from '../health/health-registry';
import type { JsonLogger } from '../logging/json-logger';
import type { MetricsIdentity } from '../metrics/metrics-registry';
import { HealthModule } from './health.module';
import { LoggingModule } from './logging.module';
import { MetricsModule } from './metrics.module';

/** What every Flotilla server shows the operator: JSON logs, /healthz /livez /readyz, /metrics. */
@Module({})
export class ObservabilityModule {
  static forRoot(parts: {
    logger: JsonLogger;
    health: HealthRegistry;
    metrics: MetricsIdentity;
    /** false: no /metrics route here (the registry is still provided). */
    serveMetrics?: boolean;
  }): DynamicModule {
    return {
      module: ObservabilityModule,
      imports: [
        LoggingModule.forRoot(parts.logger),
        HealthModule.forRoot(parts.health),
        MetricsModule.forRoot(parts.metrics, parts.serveMetrics ?? true),
      ],
    };
  }
}
