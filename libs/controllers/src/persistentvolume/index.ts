export * from './pv-binder';
