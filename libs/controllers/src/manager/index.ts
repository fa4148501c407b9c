export * from './controller-manager';
export * from './controller-selection';
export * from './controller-set';
export * from './duration';
export * from './fenced-transport';
export * from './known-controllers';
export * from './options';
