export * from './logging.module';
export * from './health.module';
export * from './health.controller';
export * from './metrics.module';
export * from './metrics.controller';
export * from './observability.module';
