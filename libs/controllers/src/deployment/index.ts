export * from './deployment-controller';
export * as deploymentUtil from './deployment-util';
export * from './int-or-percent';
