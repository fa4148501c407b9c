// @flotilla/scheduler: kube-scheduler's framework, plugins, queue and cache, and the scheduler
// that runs them against the API through @flotilla/client.
export * from './api/types';
export * from './config/types';
export { parseSchedulerConfiguration, SchedulerConfigError } from './config/load';
export { buildFramework, mergePluginSet } from './config/profile';
export * from './framework/status';
export * from './framework/events';
export * from './framework/interfaces';
export { CycleState } from './framework/cycle-state';
export { Framework } from './framework/framework';
export { NodeInfo } from './framework/node-info';
export { PodInfo, podKey, podRef } from './framework/pod-info';
export { SchedulerCache } from './cache/scheduler-cache';
export { SchedulingQueue } from './queue/scheduling-queue';
export { PluginNames } from './plugins/names';
export { DEFAULT_PLUGINS } from './plugins/registry';
export { FitError, fitErrorMessage } from './scheduler/fit-error';
export { numFeasibleNodesToFind, PodScheduler } from './scheduler/schedule-pod';
export { schedulerMetrics, type SchedulerMetrics } from './scheduler/metrics';
export { Scheduler, type SchedulerOptions, type SchedulerLog } from './scheduler/scheduler';
