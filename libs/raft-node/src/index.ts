export { LogStore } from './log-store';
export type { LoadedLog } from './log-store';
export {
  PeerTransport,
  RpcError,
  CLOSE_WRONG_CLUSTER,
  CLOSE_WRONG_MEMBER,
  certificateNames,
} from './transport';
export type { TransportOptions, TransportStats } from './transport';
export { RaftNode, RaftNodeError } from './raft-node';
export type {
  RaftNodeOptions,
  StateMachine,
  SnapshotImage,
  MessageSink,
  RaftNodeErrorCode,
} from './raft-node';
