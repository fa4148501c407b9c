import { DynamicModule, Global, Module } from '@nestjs/common';
import type { NodeAgentConfig } from './node-agent-config';

/** Inject with `@Inject(NODE_AGENT_CONFIG) config: NodeAgentConfig`. */
export const NODE_AGENT_CONFIG = Symbol('NodeAgentConfig');

/** The validated command line, as a provider: nothing below reads process.env or argv. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: NodeAgentConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: NODE_AGENT_CONFIG, useValue: Object.freeze({ ...config }) }],
      exports: [NODE_AGENT_CONFIG],
    };
  }
}
