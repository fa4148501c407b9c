import { DynamicModule, Global, Module } from '@nestjs/common';
import { HEALTHY, HealthRegistry } from '../health/health-registry';
import { HealthController } from './health.controller';

/**
 * /healthz, /livez, /readyz (and /<endpoint>/<check>). Other modules inject HealthRegistry and
 * register their checks in onModuleInit.
 */
@Global()
@Module({})
export class HealthModule {
  static forRoot(registry: HealthRegistry = new HealthRegistry()): DynamicModule {
    // Kubernetes always has "ping": proof the HTTP server itself answers.
    if (!registry.checksFor('healthz').some((c) => c.name === 'ping')) {
      registry.register({ name: 'ping', check: () => HEALTHY });
    }
    return {
      module: HealthModule,
      controllers: [HealthController],
      providers: [{ provide: HealthRegistry, useValue: registry }],
      exports: [HealthRegistry],
    };
  }
}
