export * from './resourcequota-controller';
