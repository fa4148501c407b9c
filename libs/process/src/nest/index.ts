export * from './serve-nest-app';
export * from './start-nest-process';
