// Framework-free: logging, metrics and health checks. The Nest wiring lives in
// '@flotilla/observability/nest' so plain-Node programs (the CLI) do not load Nest.
export * from './build-info';
export * from './logging/json-logger';
export * from './logging/nest-logger-adapter';
export * from './metrics/metrics-registry';
export * from './health/health-registry';
export * from './health/render-health';
