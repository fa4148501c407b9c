export * from './deleted-final-state';
export * from './factory';
export * from './freeze';
export * from './indexer';
export * from './keys';
export * from './lister';
export * from './reflector';
export * from './shared-informer';
