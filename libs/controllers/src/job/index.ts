export * from './job-controller';
export * from './job-pods';
