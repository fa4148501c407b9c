export * from './disruption-controller';
