// @flotilla/testing: wiring for tests and benchmarks only (never imported by production code):
// an API server in process with clients over it, in-process or over loopback HTTP.
export * from './in-process-api';
export * from './test-api';
export * from './http-api';
