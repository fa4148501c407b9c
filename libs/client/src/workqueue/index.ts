export * from './rate-limiters';
export * from './work-queue';
export * from './run-workers';
