/** A member's name, unique within a cluster ("m1", "m2", ...). */
export type NodeId = string;

/** The absence of a node: no vote cast, no leader known. */
export const NONE: NodeId = '';

export type EntryType = 'normal' | 'conf';

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must be durable before a vote or an acknowledgement leaves this node. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
  /**
   * Where members added at run time can be reached (their peer URL), carried with the
   * configuration so that it survives log compaction. Opaque to the core.
   */
  addresses?: Record<NodeId, string>;
}

export interface SnapshotMeta {
  index: number;
  term: number;
  conf: ConfState;
}

export interface Snapshot {
  meta: SnapshotMeta;
  data: Uint8Array;
}

export type ConfChangeType = 'addVoter' | 'addLearner' | 'remove';

/** A single-server membership change; `addVoter` of an existing learner promotes it. */
export interface ConfChange {
  type: ConfChangeType;
  node: NodeId;
  /** For additions: the new member's address, recorded in ConfState.addresses. */
  address?: string;
  /**
   * The whole configuration after the change, stamped by the leader when it accepts the entry,
   * so that a member replaying the log from an empty configuration learns every member.
   */
  result?: ConfState;
}

export type MessageType =
  | 'prop'
  | 'propResp'
  | 'app'
  | 'appResp'
  | 'vote'
  | 'voteResp'
  | 'preVote'
  | 'preVoteResp'
  | 'heartbeat'
  | 'heartbeatResp'
  | 'snap'
  | 'snapResp'
  | 'timeoutNow'
  | 'readIndex'
  | 'readIndexResp';

export interface SnapshotChunk {
  offset: number;
  total: number;
  data: Uint8Array;
}

/**
 * One message between peers. Fields are used per type:
 * - app: index/logTerm = the entry before `entries`, commit = leader's commit.
 * - appResp: index = last matching index; on reject, rejectHint = first index of conflictTerm
 *   (or the follower's lastIndex + 1 when its log is too short) and logTerm = conflictTerm.
 * - vote/preVote: index/logTerm = candidate's last entry; context 'transfer' on leadership transfer.
 * - snap: snapshot + chunk; snapResp: index = snapshot index, chunkOffset = bytes received.
 * - prop: entries without index/term, proposalIds in the same order; propResp: proposalIds with
 *   index = index of the first entry accepted (term = leader term) or reject = true.
 * - readIndex/readIndexResp: context = the caller's read context; index = read index.
 */
export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  index?: number;
  logTerm?: number;
  entries?: Entry[];
  commit?: number;
  reject?: boolean;
  rejectHint?: number;
  snapshot?: SnapshotMeta;
  chunk?: SnapshotChunk;
  chunkOffset?: number;
  context?: string;
  proposalIds?: number[];
  /**
   * On an append: it carries only a commit index, to a follower the leader knows holds every
   * entry; an accepting follower does not answer it (a refusal still gets an answer).
   */
  commitOnly?: boolean;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

export interface ReadState {
  index: number;
  context: string;
}

export interface AcceptedProposal {
  id: number;
  index: number;
  term: number;
}
