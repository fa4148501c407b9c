export * from './daemon-pods';
export * from './daemonset-controller';
