export * from './lease-record';
export * from './lease-lock';
export * from './leader-elector';
