export * from './event-types';
export * from './sinks';
export * from './event-broadcaster';
