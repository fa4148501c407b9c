import { DynamicModule, Global, Module } from '@nestjs/common';
import type { ControlPlaneConfig } from './control-plane-config';

/** Inject with `@Inject(CONTROL_PLANE_CONFIG) config: ControlPlaneConfig`. */
export const CONTROL_PLANE_CONFIG = Symbol('ControlPlaneConfig');

/** The validated command line, as a provider: nothing below reads process.env or argv. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: ControlPlaneConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: CONTROL_PLANE_CONFIG, useValue: Object.freeze({ ...config }) }],
      exports: [CONTROL_PLANE_CONFIG],
    };
  }
}
