export * from './finalizers';
export * from './garbage-collector';
export * from './graph';
