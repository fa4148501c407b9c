export * from './serviceaccount-controller';
