import { DynamicModule, Global, Module } from '@nestjs/common';
import { JsonLogger } from '../logging/json-logger';

/** Makes the process's JsonLogger injectable (`@Inject(JsonLogger)`); call `.child(component)`. */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(logger: JsonLogger): DynamicModule {
    return {
      module: LoggingModule,
      providers: [{ provide: JsonLogger, useValue: logger }],
      exports: [JsonLogger],
    };
  }
}
