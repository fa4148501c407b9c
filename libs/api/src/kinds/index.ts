// The kind modules and their registry, for the API server and for kinds added at run time.
export type {
  Cell,
  ColumnDefinition,
  CreateContext,
  Definition,
  KindModule,
  ListMeta,
  ListType,
  Printer,
} from './kind-module';
export {
  kindModuleOf,
  kindModules,
  kindsGeneration,
  onKindsChanged,
  registerKind,
  unregisterKind,
} from './registry';
export { resource, ALL_VERBS, NO_COLLECTION_DELETE, REPLICA_SCALE } from './resource';
export { POD_UPDATE_FORBIDDEN } from './core/pod';
export { POD_CIDR_FORBIDDEN } from './core/node';
export { isKnownTimeZone, parseCronSchedule } from './batch/cron-schedule';
export type { CronSchedule } from './batch/cron-schedule';
export { quotaUsageOf } from './core/resourcequota';
