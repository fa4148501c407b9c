// Linearizability checking for the deterministic simulation's client histories.
export * from './model';
export { checkOperations, DEFAULT_MAX_STEPS, WHOLE_HISTORY } from './check';
export * from './kv-model';
export { HistoryRecorder } from './recorder';
export { hashString, combineHashes, mix32 } from './hash';
