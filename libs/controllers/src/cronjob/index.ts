export * from './cronjob-controller';
