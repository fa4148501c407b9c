export * from './stateful-pods';
export * from './statefulset-controller';
