export * from './types';
export * from './rand';
export * from './storage';
export * from './quorum';
export * from './conf-change';
export { Raft } from './raft';
export type { RaftOptions, SoftState } from './raft';
export { RawNode } from './raw-node';
export type { Ready, Status } from './raw-node';
