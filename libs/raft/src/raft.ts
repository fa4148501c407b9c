import {
  applyConfChange,
  decodeConfChange,
  encodeConfChange,
  validateConfChange,
} from './conf-change';
import { RaftLog } from './log';
import { Progress } from './progress';
import { committedIndex, majority, voteResult } from './quorum';
import { Rand } from './rand';
import { ReadOnlyQueue } from './read-only';
import { CompactedError, MemoryStorage, cloneConf, snapshotReady } from './storage';
import {
  AcceptedProposal,
  ConfChange,
  ConfState,
  Entry,
  Message,
  NONE,
  NodeId,
  ReadState,
  Role,
  Snapshot,
} from './types';

export interface RaftOptions {
  id: NodeId;
  /** Injected randomness: the only source the core uses (election timeout jitter). */
  rand: Rand;
  /** Ticks without hearing from a leader before an election; randomized in [n, 2n). */
  electionTick?: number;
  /** Ticks between a leader's heartbeats. */
  heartbeatTick?: number;
  /** Ask for pre-votes before disrupting the cluster with a real election (thesis 9.6). */
  preVote?: boolean;
  /** A leader steps down when it has not heard from a majority within an election timeout. */
  checkQuorum?: boolean;
  /** Payload bytes per append message (at least one entry is always sent). */
  maxSizePerMsg?: number;
  /** Append messages in flight per follower in replicate state. */
  maxInflightMsgs?: number;
  /** Bytes per InstallSnapshot chunk. */
  maxSnapshotChunk?: number;
  /** Bytes of committed entries handed to the application per Ready. */
  maxApplyBytes?: number;
  /**
   * 'safe' confirms leadership with a heartbeat round for every ReadIndex batch.
   * 'lease' answers from the leader's commit index at once; it is correct only if clocks on
   * all members advance at about the same rate, so that no new leader can be elected while
   * this leader still believes its lease holds (it requires checkQuorum).
   */
  readOnly?: 'safe' | 'lease';
  /** Test-only switches that break Raft on purpose, to prove the simulation catches it. */
  unsafe?: {
    /** Commit entries of earlier terms by counting replicas (violates Raft 5.4.2). */
    commitPriorTermByCounting?: boolean;
    /** Grant votes without the log up-to-date check (violates Raft 5.4.1). */
    skipVoteLogCheck?: boolean;
  };
}

export interface SoftState {
  lead: NodeId;
  role: Role;
}

const TRANSFER = 'transfer';

/**
 * The Raft consensus state machine of one member: roles, election, replication, commit,
 * snapshots, ReadIndex, leadership transfer and single-server membership changes.
 * It performs no I/O: it consumes messages and ticks and produces messages and log changes
 * that RawNode hands to the driver.
 */
export class Raft {
  readonly id: NodeId;
  term: number;
  vote: NodeId;
  lead: NodeId = NONE;
  role: Role = 'follower';
  readonly log: RaftLog;
  conf: ConfState;
  prs = new Map<NodeId, Progress>();

  /** Outbox and notices collected for the next Ready. */
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  accepted: AcceptedProposal[] = [];
  dropped: number[] = [];
  droppedReads: string[] = [];
  confChanged = false;
  needBroadcast = false;

  private votes = new Map<NodeId, boolean>();
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  private leadTransferee: NodeId = NONE;
  private pendingConfIndex = 0;
  private readonly readOnly = new ReadOnlyQueue();
  private readonly propOutcomes = new Map<string, { index: number; term: number } | null>();
  private readsAwaitingCommit: { context: string; from: NodeId }[] = [];
  private incomingSnapshot:
    | { key: string; meta: Snapshot['meta']; parts: Uint8Array[]; received: number; total: number }
    | undefined;

  readonly electionTimeout: number;
  readonly heartbeatTimeout: number;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly maxSizePerMsg: number;
  private readonly maxInflight: number;
  private readonly maxSnapshotChunk: number;
  readonly maxApplyBytes: number;
  private readonly readOnlyMode: 'safe' | 'lease';
  private readonly unsafe: NonNullable<RaftOptions['unsafe']>;
  private readonly rand: Rand;

  constructor(opts: RaftOptions, storage: MemoryStorage) {
    this.id = opts.id;
    this.rand = opts.rand;
    this.electionTimeout = opts.electionTick ?? 10;
    this.heartbeatTimeout = opts.heartbeatTick ?? 1;
    if (this.heartbeatTimeout >= this.electionTimeout) {
      throw new Error('raft: heartbeatTick must be smaller than electionTick');
    }
    this.preVote = opts.preVote ?? true;
    this.checkQuorum = opts.checkQuorum ?? true;
    this.maxSizePerMsg = opts.maxSizePerMsg ?? 1024 * 1024;
    this.maxInflight = opts.maxInflightMsgs ?? 256;
    this.maxSnapshotChunk = opts.maxSnapshotChunk ?? 1024 * 1024;
    this.maxApplyBytes = opts.maxApplyBytes ?? 64 * 1024 * 1024;
    this.readOnlyMode = opts.readOnly ?? 'safe';
    if (this.readOnlyMode === 'lease' && !this.checkQuorum) {
      throw new Error('raft: lease-based reads require checkQuorum');
    }
    this.unsafe = opts.unsafe ?? {};

    this.log = new RaftLog(storage);
    const hs = storage.hardState();
    this.term = hs.term;
    this.vote = hs.vote;
    this.conf = cloneConf(storage.snapshot().meta.conf);
    this.resetProgress();
    this.becomeFollower(this.term, NONE);
  }

  // ---------------------------------------------------------------- queries

  isVoter(id: NodeId = this.id): boolean {
    return this.conf.voters.includes(id);
  }

  committedInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  leadTransferTarget(): NodeId {
    return this.leadTransferee;
  }

  // ---------------------------------------------------------------- time

  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  /**
   * The driver saw this member's connection to the leader close: the leader's process most
   * likely died (a killed process's sockets close at once), so waiting out a whole election
   * timeout only prolongs the outage. The lease on the leader ends now (this member grants
   * votes again) and this member campaigns after 1 + r ticks, r its rank among the other
   * voters: the followers that all noticed take turns instead of splitting the vote, and the
   * first whose log is up to date wins. It is a pre-vote first: a majority that still hears from
   * the leader refuses it, so a follower cut off alone disturbs nothing.
   */
  leaderLost(): void {
    if (this.role !== 'follower' || this.lead === NONE || !this.isVoter()) return;
    // Lease reads rely on no member voting within an election timeout of hearing the leader.
    if (this.readOnlyMode === 'lease') return;
    const rank = this.conf.voters
      .filter((id) => id !== this.lead)
      .sort()
      .indexOf(this.id);
    this.electionElapsed = Math.max(this.electionElapsed, this.electionTimeout);
    this.randomizedElectionTimeout = this.electionElapsed + 1 + Math.max(0, rank);
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.isVoter() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum && !this.quorumActive()) {
        this.becomeFollower(this.term, NONE);
        return;
      }
      // A transfer that did not finish within an election timeout is abandoned.
      this.leadTransferee = NONE;
    }
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.lastContext());
      this.resendStalledSnapshots();
    }
  }

  private quorumActive(): boolean {
    let active = 0;
    for (const id of this.conf.voters) {
      const pr = this.prs.get(id);
      if (id === this.id || pr?.recentActive) active++;
    }
    for (const [id, pr] of this.prs) if (id !== this.id) pr.recentActive = false;
    return active >= majority(this.conf.voters.length);
  }

  private resendStalledSnapshots(): void {
    for (const [id, pr] of this.prs) {
      if (pr.state !== 'snapshot') continue;
      pr.snapshotIdleTicks += this.heartbeatTimeout;
      if (pr.snapshotIdleTicks >= this.electionTimeout) this.sendSnapshotChunk(id, pr);
    }
  }

  // ---------------------------------------------------------------- roles

  private reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.electionTimeout + this.rand.int(this.electionTimeout);
    this.leadTransferee = NONE;
    this.votes = new Map();
    this.pendingConfIndex = 0;
    this.needBroadcast = false;
    this.resetProgress();
    // Reads waiting on this member's leadership will never be answered by it now. Its own are
    // reported to the driver; a follower that forwarded one is told at once, so it asks the
    // next leader instead of waiting for a reply that cannot come.
    for (const r of [...this.readOnly.clear(), ...this.readsAwaitingCommit]) {
      if (r.from === this.id) this.droppedReads.push(r.context);
      else this.send({ type: 'readIndexResp', to: r.from, context: r.context, reject: true });
    }
    this.readsAwaitingCommit = [];
  }

  private resetProgress(): void {
    const next = this.log.lastIndex() + 1;
    const prs = new Map<NodeId, Progress>();
    for (const id of this.conf.voters) prs.set(id, new Progress(next, this.maxInflight, false));
    for (const id of this.conf.learners) prs.set(id, new Progress(next, this.maxInflight, true));
    const self = prs.get(this.id);
    if (self) {
      self.match = this.log.stableIndex();
      self.becomeReplicate();
    }
    this.prs = prs;
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  private becomePreCandidate(): void {
    // Pre-candidates keep their term and vote: a failed pre-vote leaves no trace.
    this.votes = new Map();
    this.lead = NONE;
    this.role = 'preCandidate';
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    for (const pr of this.prs.values()) pr.recentActive = true;
    // Configuration changes in the log we inherit may not be applied yet: wait for them.
    this.pendingConfIndex = this.log.lastIndex();
    // Raft 5.4.2 / 8: an entry of our own term makes the inherited entries committable.
    this.appendEntries([{ term: 0, index: 0, type: 'normal', data: new Uint8Array(0) }]);
  }

  hup(transfer: boolean): void {
    if (this.role === 'leader' || !this.isVoter()) return;
    if (this.hasUnappliedConfChange()) return;
    if (this.preVote && !transfer) this.campaign('preVote', false);
    else this.campaign('vote', transfer);
  }

  private hasUnappliedConfChange(): boolean {
    if (this.log.committed <= this.log.applied) return false;
    try {
      return this.log
        .slice(this.log.applied + 1, this.log.committed + 1)
        .some((e) => e.type === 'conf');
    } catch (e) {
      if (e instanceof CompactedError) return false;
      throw e;
    }
  }

  private campaign(kind: 'preVote' | 'vote', transfer: boolean): void {
    let voteTerm: number;
    if (kind === 'preVote') {
      this.becomePreCandidate();
      voteTerm = this.term + 1;
    } else {
      this.becomeCandidate();
      voteTerm = this.term;
    }
    this.votes.set(this.id, true);
    if (this.pollResult() === 'won') {
      if (kind === 'preVote') this.campaign('vote', false);
      else this.becomeLeader();
      return;
    }
    for (const id of this.conf.voters) {
      if (id === this.id) continue;
      this.send({
        type: kind,
        to: id,
        term: voteTerm,
        index: this.log.lastIndex(),
        logTerm: this.log.lastTerm(),
        context: transfer ? TRANSFER : undefined,
      });
    }
  }

  private pollResult() {
    return voteResult(this.conf.voters, this.votes);
  }

  // ---------------------------------------------------------------- proposals

  /** Proposes entries; ids identify each to its caller in accepted/dropped notices. */
  propose(datas: readonly Uint8Array[], ids: readonly number[]): void {
    this.proposeEntries(
      datas.map((data) => ({ term: 0, index: 0, type: 'normal' as const, data })),
      ids,
    );
  }

  proposeConfChange(cc: ConfChange, id: number): void {
    this.proposeEntries([{ term: 0, index: 0, type: 'conf', data: encodeConfChange(cc) }], [id]);
  }

  private proposeEntries(entries: Entry[], ids: readonly number[]): void {
    if (this.role === 'leader') {
      const first = this.acceptProposal(entries);
      if (first === undefined) this.dropped.push(...ids);
      else ids.forEach((id, i) => this.accepted.push({ id, index: first + i, term: this.term }));
      return;
    }
    if (this.role === 'follower' && this.lead !== NONE) {
      this.send({ type: 'prop', to: this.lead, entries, proposalIds: [...ids] });
      return;
    }
    this.dropped.push(...ids);
  }

  /** Appends proposals to the leader's log; the index of the first, or undefined if refused. */
  private acceptProposal(proposed: Entry[]): number | undefined {
    let entries = proposed;
    if (this.leadTransferee !== NONE) return undefined;
    if (!this.prs.has(this.id)) return undefined;
    for (const e of proposed) {
      if (e.type !== 'conf') continue;
      // One configuration change at a time, and only once this term has committed an entry
      // (the fix for single-server changes described with the Raft thesis).
      if (this.pendingConfIndex > this.log.applied || !this.committedInCurrentTerm())
        return undefined;
      let cc: ConfChange;
      try {
        cc = decodeConfChange(e.data);
      } catch {
        return undefined;
      }
      if (validateConfChange(this.conf, cc) !== undefined) return undefined;
      const stamped: ConfChange = {
        type: cc.type,
        node: cc.node,
        address: cc.address,
        result: applyConfChange(this.conf, cc),
      };
      entries = entries.map((x) => (x === e ? { ...x, data: encodeConfChange(stamped) } : x));
    }
    const first = this.log.lastIndex() + 1;
    this.appendEntries(entries);
    const confAt = entries.findIndex((e) => e.type === 'conf');
    if (confAt >= 0) this.pendingConfIndex = first + confAt;
    return first;
  }

  private appendEntries(entries: Entry[]): void {
    let index = this.log.lastIndex();
    const stamped = entries.map((e) => ({
      term: this.term,
      index: ++index,
      type: e.type,
      data: e.data,
    }));
    this.log.append(stamped);
    // Replication is deferred to the next Ready so that proposals arriving together travel in
    // one message per follower; our own vote counts once the driver confirms the write.
    this.needBroadcast = true;
  }

  // ---------------------------------------------------------------- reads

  readIndex(context: string): void {
    if (this.role === 'leader') this.handleReadIndex(context, this.id);
    else if (this.role === 'follower' && this.lead !== NONE) {
      this.send({ type: 'readIndex', to: this.lead, context });
    } else this.droppedReads.push(context);
  }

  private handleReadIndex(context: string, from: NodeId): void {
    if (this.conf.voters.length === 1 && this.isVoter()) {
      this.answerRead(this.log.committed, context, from);
    } else if (!this.committedInCurrentTerm()) {
      // Our commit index may lag the true one until an entry of this term commits.
      this.readsAwaitingCommit.push({ context, from });
    } else if (this.readOnlyMode === 'lease') {
      this.answerRead(this.log.committed, context, from);
    } else {
      this.readOnly.add(context, this.log.committed, from);
      this.readOnly.recvAck(this.id, context);
      this.bcastHeartbeat(context);
    }
  }

  private answerRead(index: number, context: string, from: NodeId): void {
    if (from === this.id) this.readStates.push({ index, context });
    else this.send({ type: 'readIndexResp', to: from, index, context });
  }

  // ---------------------------------------------------------------- leadership transfer

  transferLeadership(to: NodeId): void {
    if (this.role !== 'leader') return;
    if (to === this.id || !this.isVoter(to) || this.leadTransferee === to) return;
    this.leadTransferee = to;
    this.electionElapsed = 0;
    const pr = this.prs.get(to)!;
    if (pr.match === this.log.lastIndex()) this.send({ type: 'timeoutNow', to });
    else this.sendAppend(to, true);
  }

  // ---------------------------------------------------------------- messages

  private send(m: Omit<Message, 'from' | 'term'> & { term?: number }): void {
    // Every caller passes a fresh literal: completed in place rather than copied (a spread of
    // messages of many shapes is a slow path, and the leader sends several per write).
    const msg = m as Message;
    msg.from = this.id;
    if (msg.term === undefined) msg.term = this.term;
    this.msgs.push(msg);
  }

  step(m: Message): void {
    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        const force = m.context === TRANSFER;
        const inLease =
          this.lead !== NONE &&
          this.electionElapsed < this.electionTimeout &&
          (this.checkQuorum || m.type === 'preVote');
        // A member that hears from a live leader ignores campaigns: a node rejoining after a
        // partition cannot depose a healthy leader.
        if (!force && inLease) return;
      }
      if (m.type === 'preVote' || (m.type === 'preVoteResp' && !m.reject)) {
        // Pre-votes never change our term.
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === 'heartbeat' || m.type === 'app')) {
        // Tell a deposed leader about the newer term so it steps down.
        this.send({ type: 'appResp', to: m.from });
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResp', to: m.from, reject: true });
      }
      return;
    }

    switch (m.type) {
      case 'vote':
      case 'preVote':
        this.handleVoteRequest(m);
        return;
      case 'prop':
        this.handleForwardedProposal(m);
        return;
      case 'propResp':
        this.handlePropResp(m);
        return;
      case 'readIndexResp':
        if (m.context === undefined) return;
        if (m.reject) this.droppedReads.push(m.context);
        else this.readStates.push({ index: m.index ?? 0, context: m.context });
        return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        return;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        return;
      case 'follower':
        this.stepFollower(m);
        return;
    }
  }

  private handleVoteRequest(m: Message): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === 'preVote' && m.term > this.term);
    const upToDate =
      this.unsafe.skipVoteLogCheck || this.log.isUpToDate(m.index ?? 0, m.logTerm ?? 0);
    const respType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
    if (canVote && upToDate) {
      this.send({ type: respType, to: m.from, term: m.term });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, to: m.from, reject: true });
    }
  }

  /**
   * A proposal forwarded by a follower. Its outcome is remembered, so that a copy of the same
   * message (a retry, a duplicate) always gets the same answer and is never appended twice: the
   * follower reports a refusal to its caller as certain, so no copy may be accepted later.
   */
  private handleForwardedProposal(m: Message): void {
    const key = `${m.from}/${m.proposalIds?.[0] ?? ''}/${m.entries?.length ?? 0}`;
    let outcome = this.propOutcomes.get(key);
    if (outcome === undefined) {
      const first =
        this.role === 'leader' && this.prs.has(m.from)
          ? this.acceptProposal(m.entries ?? [])
          : undefined;
      outcome = first === undefined ? null : { index: first, term: this.term };
      this.propOutcomes.set(key, outcome);
      if (this.propOutcomes.size > 8192)
        this.propOutcomes.delete(this.propOutcomes.keys().next().value!);
    }
    this.send({
      type: 'propResp',
      to: m.from,
      proposalIds: m.proposalIds,
      index: outcome?.index,
      term: outcome ? outcome.term : this.term,
      reject: outcome === null,
    });
  }

  private handlePropResp(m: Message): void {
    const ids = m.proposalIds ?? [];
    if (m.reject) this.dropped.push(...ids);
    else
      ids.forEach((id, i) => this.accepted.push({ id, index: (m.index ?? 0) + i, term: m.term }));
  }

  private stepLeader(m: Message): void {
    const pr = this.prs.get(m.from);
    switch (m.type) {
      case 'readIndex':
        if (m.context !== undefined) this.handleReadIndex(m.context, m.from);
        return;
      case 'appResp':
        if (pr) this.handleAppendResponse(m, pr);
        return;
      case 'heartbeatResp':
        if (pr) this.handleHeartbeatResponse(m, pr);
        return;
      case 'snapResp':
        if (pr && pr.state === 'snapshot' && pr.snapshot?.meta.index === m.index) {
          pr.recentActive = true;
          pr.snapshotAcked = m.chunkOffset ?? 0;
          if (pr.snapshotAcked < (pr.snapshot?.data.byteLength ?? 0))
            this.sendSnapshotChunk(m.from, pr);
          else pr.snapshotIdleTicks = 0;
        }
        return;
    }
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    const index = m.index ?? 0;
    if (m.reject) {
      if (pr.maybeDecrease(index, this.nextFromRejectHint(m))) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from, true);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(index) && !(pr.match === index && pr.state === 'probe')) return;
    if (pr.state === 'probe') pr.becomeReplicate();
    else if (pr.state === 'snapshot' && pr.match >= (pr.snapshot?.meta.index ?? 0)) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') pr.inflights.freeUpTo(index);

    if (this.maybeCommit()) this.bcastAppend();
    else if (wasPaused) this.sendAppend(m.from, true);
    let sends = 0;
    while (sends++ < this.maxInflight && this.sendAppend(m.from, false)) {
      /* fill the window */
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send({ type: 'timeoutNow', to: m.from });
    }
  }

  /** Where to resume after a rejection, from the follower's conflict term and its first index. */
  private nextFromRejectHint(m: Message): number {
    const hint = m.rejectHint ?? m.index ?? 0;
    const conflictTerm = m.logTerm ?? 0;
    if (conflictTerm > 0) {
      const last = this.log.lastIndexOfTerm(conflictTerm, m.index ?? 0);
      if (last !== undefined) return last + 1;
    }
    return hint;
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.probeSent = false;
    // Appends (or their acks) may have been lost with a full window: let one more go, which
    // either fills the gap or draws a rejection that resets the follower to probing.
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirst();
    if (pr.match < this.log.lastIndex()) this.sendAppend(m.from, true);
    if (m.context === undefined || this.readOnlyMode !== 'safe') return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (!acks) return;
    let voters = 0;
    for (const id of this.conf.voters) if (acks.has(id)) voters++;
    if (voters < majority(this.conf.voters.length)) return;
    for (const r of this.readOnly.advance(m.context)) this.answerRead(r.index, r.context, r.from);
  }

  private stepCandidate(m: Message): void {
    const ownResp = this.role === 'preCandidate' ? 'preVoteResp' : 'voteResp';
    switch (m.type) {
      case 'app':
      case 'heartbeat':
      case 'snap':
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        return;
      case 'voteResp':
      case 'preVoteResp': {
        if (m.type !== ownResp) return;
        this.votes.set(m.from, !m.reject);
        const result = this.pollResult();
        if (result === 'won') {
          if (this.role === 'preCandidate') this.campaign('vote', false);
          else {
            this.becomeLeader();
            this.bcastAppend();
            this.needBroadcast = false;
          }
        } else if (result === 'lost') {
          this.becomeFollower(this.term, NONE);
        }
        return;
      }
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'app':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.log.commitTo(Math.min(m.commit ?? 0, this.log.lastIndex()));
        this.send({ type: 'heartbeatResp', to: m.from, context: m.context });
        return;
      case 'snap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshotChunk(m);
        return;
      case 'timeoutNow':
        this.hup(true);
        return;
      case 'readIndex':
        this.send({ type: 'readIndexResp', to: m.from, context: m.context, reject: true });
        return;
    }
  }

  private handleAppend(m: Message): void {
    const prevIndex = m.index ?? 0;
    if (prevIndex < this.log.committed) {
      this.send({ type: 'appResp', to: m.from, index: this.log.committed });
      return;
    }
    const lastNew = this.log.maybeAppend(prevIndex, m.logTerm ?? 0, m.commit ?? 0, m.entries ?? []);
    if (lastNew !== undefined) {
      if (!m.commitOnly) this.send({ type: 'appResp', to: m.from, index: lastNew });
      return;
    }
    let hint: number;
    let conflictTerm = 0;
    if (prevIndex > this.log.lastIndex()) {
      hint = this.log.lastIndex() + 1;
    } else {
      conflictTerm = this.log.term(prevIndex) ?? 0;
      hint = this.log.firstIndexOfTerm(prevIndex);
    }
    this.send({
      type: 'appResp',
      to: m.from,
      index: prevIndex,
      reject: true,
      rejectHint: hint,
      logTerm: conflictTerm,
    });
  }

  private handleSnapshotChunk(m: Message): void {
    const meta = m.snapshot;
    const chunk = m.chunk;
    if (!meta || !chunk) return;
    if (meta.index <= this.log.committed) {
      this.incomingSnapshot = undefined;
      this.send({ type: 'appResp', to: m.from, index: this.log.committed });
      return;
    }
    const key = `${meta.index}/${meta.term}`;
    if (chunk.offset === 0) {
      this.incomingSnapshot = { key, meta, parts: [], received: 0, total: chunk.total };
    }
    const inc = this.incomingSnapshot;
    if (!inc || inc.key !== key || chunk.offset !== inc.received) {
      const have = inc && inc.key === key ? inc.received : 0;
      this.send({ type: 'snapResp', to: m.from, index: meta.index, chunkOffset: have });
      return;
    }
    inc.parts.push(chunk.data);
    inc.received += chunk.data.byteLength;
    if (inc.received < inc.total) {
      this.send({ type: 'snapResp', to: m.from, index: meta.index, chunkOffset: inc.received });
      return;
    }
    this.incomingSnapshot = undefined;
    const data = concat(inc.parts, inc.total);
    if (this.restore({ meta, data })) {
      this.send({ type: 'appResp', to: m.from, index: this.log.lastIndex() });
    } else {
      this.send({ type: 'appResp', to: m.from, index: this.log.committed });
    }
  }

  /** Installs a leader's snapshot; false when our log already covers it. */
  private restore(snapshot: Snapshot): boolean {
    const { index, term } = snapshot.meta;
    if (index <= this.log.committed) return false;
    if (this.log.matchTerm(index, term)) {
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(snapshot);
    this.conf = cloneConf(snapshot.meta.conf);
    this.confChanged = true;
    this.resetProgress();
    return true;
  }

  // ---------------------------------------------------------------- replication

  bcastAppend(): void {
    for (const id of this.prs.keys()) if (id !== this.id) this.sendAppend(id, true);
  }

  private bcastHeartbeat(context: string | undefined): void {
    for (const [id, pr] of this.prs) {
      if (id === this.id) continue;
      this.send({
        type: 'heartbeat',
        to: id,
        commit: Math.min(pr.match, this.log.committed),
        context,
      });
    }
  }

  /** Sends what `to` is missing; false when nothing was sent. */
  private sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    let entries: Entry[] | undefined;
    if (prevTerm !== undefined) {
      try {
        entries = this.log.entriesFrom(pr.next, this.maxSizePerMsg);
      } catch (e) {
        if (!(e instanceof CompactedError)) throw e;
      }
    }
    if (prevTerm === undefined || entries === undefined) {
      const snapshot = this.log.snapshot();
      // Not ready yet: the application is making the image; the follower's next response
      // (a heartbeat's at the latest) brings us back here.
      if (!snapshotReady(snapshot)) return false;
      pr.becomeSnapshot(snapshot);
      this.sendSnapshotChunk(to, pr);
      return true;
    }
    if (entries.length === 0 && !sendIfEmpty) return false;
    const m: Omit<Message, 'from' | 'term'> = {
      type: 'app',
      to,
      index: prevIndex,
      logTerm: prevTerm,
      entries,
      commit: this.log.committed,
    };
    // Only a new commit index, to a follower that has been sent every entry: if it takes the
    // append it holds them all, and its answer to their append (sent or still to come) says
    // the same, so it need not answer this one. A follower missing entries refuses it, and
    // refusals are always answered.
    if (entries.length === 0 && pr.state === 'replicate') m.commitOnly = true;
    this.send(m);
    pr.sentEntries(entries.length > 0 ? entries[entries.length - 1].index : undefined);
    return true;
  }

  private sendSnapshotChunk(to: NodeId, pr: Progress): void {
    const snap = pr.snapshot;
    if (!snap) return;
    const offset = pr.snapshotAcked;
    const total = snap.data.byteLength;
    const data = snap.data.subarray(offset, Math.min(offset + this.maxSnapshotChunk, total));
    this.send({ type: 'snap', to, snapshot: snap.meta, chunk: { offset, total, data } });
    pr.snapshotIdleTicks = 0;
  }

  /** Advances commit to what a majority of voters has durably stored; true if it moved. */
  maybeCommit(): boolean {
    const index = committedIndex(this.conf.voters, (id) => this.prs.get(id)?.match ?? 0);
    if (index <= this.log.committed) return false;
    // Raft 5.4.2: count replicas only for entries of the current term.
    if (!this.unsafe.commitPriorTermByCounting && this.log.term(index) !== this.term) return false;
    const firstInTerm = !this.committedInCurrentTerm();
    this.log.commitTo(index);
    if (firstInTerm && this.committedInCurrentTerm()) {
      const waiting = this.readsAwaitingCommit;
      this.readsAwaitingCommit = [];
      for (const r of waiting) this.handleReadIndex(r.context, r.from);
    }
    return true;
  }

  // ---------------------------------------------------------------- driver acknowledgements

  /** The driver made our log durable up to (index, term). */
  onStable(index: number, term: number): void {
    this.log.stableTo(index, term);
    const self = this.prs.get(this.id);
    if (this.role === 'leader' && self && self.maybeUpdate(this.log.stableIndex())) {
      if (this.maybeCommit()) this.needBroadcast = true;
    }
  }

  /** The driver applied committed entries up to `index`; configuration entries take effect. */
  onApplied(entries: readonly Entry[]): void {
    for (const e of entries) {
      if (e.type === 'conf') this.applyConfEntry(e);
    }
    if (entries.length > 0) {
      this.log.applied = entries[entries.length - 1].index;
    }
  }

  private applyConfEntry(e: Entry): void {
    let cc: ConfChange;
    try {
      cc = decodeConfChange(e.data);
    } catch {
      return;
    }
    if (cc.result) {
      this.conf = cloneConf(cc.result);
    } else {
      // Invalid changes are skipped identically on every member, keeping configurations equal.
      if (validateConfChange(this.conf, cc) !== undefined) return;
      this.conf = applyConfChange(this.conf, cc);
    }
    this.confChanged = true;
    const next = this.log.lastIndex() + 1;
    for (const id of [...this.conf.voters, ...this.conf.learners]) {
      const pr = this.prs.get(id);
      const learner = this.conf.learners.includes(id);
      if (pr) pr.isLearner = learner;
      else this.prs.set(id, new Progress(next, this.maxInflight, learner));
    }
    for (const id of [...this.prs.keys()]) {
      if (!this.conf.voters.includes(id) && !this.conf.learners.includes(id)) this.prs.delete(id);
    }
    if (this.role !== 'leader') return;
    if (!this.isVoter()) {
      this.becomeFollower(this.term, NONE);
      return;
    }
    if (this.leadTransferee !== NONE && !this.isVoter(this.leadTransferee))
      this.leadTransferee = NONE;
    if (this.maybeCommit()) this.needBroadcast = true;
    this.bcastAppend();
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
