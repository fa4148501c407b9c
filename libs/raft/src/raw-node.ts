import {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  NodeId,
  ReadState,
  Snapshot,
  AcceptedProposal,
  Role,
} from './types';
import { Raft, RaftOptions, SoftState } from './raft';
import { MemoryStorage, cloneConf } from './storage';

/**
 * One batch of work for the driver. Contract:
 * 1. send `earlyMessages` at any time (the leader's appends: thesis 10.2.1 lets the leader write
 *    its own log in parallel with replicating it);
 * 2. persist `hardState`, `snapshot` and `entries` durably (entries replace any suffix of the
 *    stored log from their first index);
 * 3. then send `messages`;
 * 4. apply `committedEntries` in order. They are committed: durable on a majority, where the
 *    leader counts itself only once its own write is durable. So with no `snapshot` in the Ready
 *    they may be applied at once, while step 2 is under way, even when they are among this
 *    Ready's own entries: the two followers of a three-member cluster make a batch safe whatever
 *    happens to the leader's copy (thesis 10.2.1), and a slow fsync on the leader no longer
 *    holds up the reply. etcd applies in parallel with its WAL write for the same reason;
 * 5. call advance(ready). Between Readies, takeCommitted() hands out entries that became
 *    committed since the last hand-out, to apply after the ones handed out before.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  earlyMessages: Message[];
  messages: Message[];
  readStates: ReadState[];
  /** Proposals now in the leader's log at (index, term): they succeed iff that entry is applied. */
  accepted: AcceptedProposal[];
  /** Proposals that will certainly never be committed. */
  dropped: number[];
  /** Read contexts that will never be answered. */
  droppedReads: string[];
  /** The configuration after the committed entries of the previous Ready were applied. */
  confState?: ConfState;
}

export interface Status {
  id: NodeId;
  role: Role;
  term: number;
  vote: NodeId;
  lead: NodeId;
  commit: number;
  applied: number;
  lastIndex: number;
  conf: ConfState;
  leadTransferee: NodeId;
  progress: Record<NodeId, { match: number; next: number; state: string; learner: boolean }>;
}

const LEADER_EARLY = new Set([
  'app',
  'heartbeat',
  'snap',
  'timeoutNow',
  'readIndexResp',
  'propResp',
]);

/**
 * The driver-facing node: step/tick/propose in, ready()/advance() out. It owns the bookkeeping
 * of what was handed out and what the driver confirmed.
 */
export class RawNode {
  readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private inFlight: Ready | undefined;
  /** Committed entries handed to the driver and not yet reported applied. */
  private toApply: Entry[] = [];

  constructor(
    opts: RaftOptions,
    readonly storage: MemoryStorage,
  ) {
    this.raft = new Raft(opts, storage);
    this.prevSoft = this.softState();
    this.prevHard = storage.hardState();
  }

  tick(): void {
    this.raft.tick();
  }

  step(m: Message): void {
    this.raft.step(m);
  }

  /** Starts an election now (a test helper and an operator lever). */
  campaign(): void {
    this.raft.hup(false);
  }

  propose(data: Uint8Array, id: number): void {
    this.raft.propose([data], [id]);
  }

  proposeBatch(datas: readonly Uint8Array[], ids: readonly number[]): void {
    if (datas.length !== ids.length) throw new Error('raft: one proposal id per entry');
    this.raft.propose(datas, ids);
  }

  proposeConfChange(cc: ConfChange, id: number): void {
    this.raft.proposeConfChange(cc, id);
  }

  /** This member's connection to the leader closed (see Raft.leaderLost). */
  reportLeaderLost(): void {
    this.raft.leaderLost();
  }

  readIndex(context: string): void {
    this.raft.readIndex(context);
  }

  transferLeadership(to: NodeId): void {
    this.raft.transferLeadership(to);
  }

  private softState(): SoftState {
    return { lead: this.raft.lead, role: this.raft.role };
  }

  private hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }

  /**
   * The leader's appends for entries proposed since the last Ready, to send at once while an
   * earlier Ready is still being written (thesis 10.2.1): followers write batch N+1 while the
   * leader writes batch N. Empty unless this member leads in a term that is already durable.
   */
  takeEarlyMessages(): Message[] {
    const r = this.raft;
    if (r.role !== 'leader') return [];
    if (r.term !== this.prevHard.term || r.vote !== this.prevHard.vote) return [];
    this.flushBroadcast();
    const early: Message[] = [];
    const keep: Message[] = [];
    for (const m of r.msgs) (LEADER_EARLY.has(m.type) ? early : keep).push(m);
    r.msgs = keep;
    return early;
  }

  /** Replicates proposals batched since the last flush: one append per follower. */
  private flushBroadcast(): void {
    const r = this.raft;
    if (r.needBroadcast && r.role === 'leader') r.bcastAppend();
    r.needBroadcast = false;
  }

  hasReady(): boolean {
    const r = this.raft;
    if (this.inFlight) return false;
    const soft = this.softState();
    const hard = this.hardState();
    return (
      r.msgs.length > 0 ||
      r.needBroadcast ||
      soft.lead !== this.prevSoft.lead ||
      soft.role !== this.prevSoft.role ||
      !sameHardState(hard, this.prevHard) ||
      r.log.unstableEntries().length > 0 ||
      r.log.unstableSnapshot !== undefined ||
      this.appliableTo() > r.log.applying ||
      r.readStates.length > 0 ||
      r.accepted.length > 0 ||
      r.dropped.length > 0 ||
      r.droppedReads.length > 0 ||
      r.confChanged
    );
  }

  ready(): Ready {
    if (this.inFlight) throw new Error('raft: ready() called again before advance()');
    const r = this.raft;
    this.flushBroadcast();

    const soft = this.softState();
    const hard = this.hardState();
    const rd: Ready = {
      entries: [...r.log.unstableEntries()],
      snapshot: r.log.unstableSnapshot,
      committedEntries: this.takeAppliable(),
      earlyMessages: [],
      messages: [],
      readStates: r.readStates,
      accepted: r.accepted,
      dropped: r.dropped,
      droppedReads: r.droppedReads,
    };
    if (soft.lead !== this.prevSoft.lead || soft.role !== this.prevSoft.role) rd.softState = soft;
    if (!sameHardState(hard, this.prevHard)) rd.hardState = hard;
    if (r.confChanged) rd.confState = cloneConf(r.conf);

    // Until a new term or vote is durable, nothing may leave: a crash could otherwise let this
    // member vote twice in one term.
    const termDurable = hard.term === this.prevHard.term && hard.vote === this.prevHard.vote;
    for (const m of r.msgs) {
      if (termDurable && r.role === 'leader' && LEADER_EARLY.has(m.type)) rd.earlyMessages.push(m);
      else rd.messages.push(m);
    }
    r.msgs = [];
    r.readStates = [];
    r.accepted = [];
    r.dropped = [];
    r.droppedReads = [];
    r.confChanged = false;
    // Entries handed out before a snapshot are superseded by it.
    if (rd.snapshot) this.toApply = rd.committedEntries.slice();
    this.inFlight = rd;
    return rd;
  }

  /**
   * Entries committed since the last hand-out, for a driver to apply at once: during the disk
   * write of the Ready in flight, or right when an acknowledgement commits them (before the
   * next Ready, whose sends would otherwise go first). Empty while a snapshot is being
   * installed: entries after it wait for it.
   */
  takeCommitted(): Entry[] {
    if (this.inFlight?.snapshot || this.raft.log.unstableSnapshot) return [];
    return this.takeAppliable();
  }

  /**
   * Proposals that took a place in the log since the last Ready or call. A driver that applies
   * entries between Readies (takeCommitted) collects these first, so each applied entry finds
   * the proposal waiting for it.
   */
  takeAccepted(): AcceptedProposal[] {
    const accepted = this.raft.accepted;
    if (accepted.length > 0) this.raft.accepted = [];
    return accepted;
  }

  /**
   * Committed entries may be applied whether or not this member's own copy is durable yet: the
   * commit index counts a majority of durable copies (see Raft.onStable), and committed entries
   * never change. After a machine crash the state machine may then be ahead of this member's
   * log; it skips the entries it already holds when they arrive again from the leader.
   */
  private appliableTo(): number {
    return this.raft.log.committed;
  }

  private takeAppliable(): Entry[] {
    const log = this.raft.log;
    const hi = this.appliableTo();
    if (hi <= log.applying) return [];
    const entries = log.slice(log.applying + 1, hi + 1, this.raft.maxApplyBytes);
    if (entries.length === 0) return entries;
    log.applying = entries[entries.length - 1].index;
    for (const e of entries) this.toApply.push(e);
    return entries;
  }

  /** The driver finished the Ready: persisted, sent and applied as the contract says. */
  advance(rd: Ready): void {
    this.advanceAppend(rd);
    this.appliedTo(
      rd.committedEntries.length > 0
        ? rd.committedEntries[rd.committedEntries.length - 1].index
        : 0,
    );
  }

  /**
   * For drivers that apply in the background: the Ready's durable part is done (persisted and
   * sent) and its committed entries are queued for applying in order. The next Ready may be
   * taken at once; call appliedTo() as the application catches up.
   */
  advanceAppend(rd: Ready): void {
    if (rd !== this.inFlight) throw new Error('raft: advance() with a Ready that is not in flight');
    this.inFlight = undefined;
    const r = this.raft;
    if (rd.softState) this.prevSoft = rd.softState;
    if (rd.hardState) this.prevHard = rd.hardState;
    if (rd.snapshot) r.log.stableSnapshotTo(rd.snapshot.meta.index);
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1];
      r.onStable(last.index, last.term);
    }
  }

  /** The application has applied every handed-out entry up to `index`. */
  appliedTo(index: number): void {
    let n = 0;
    while (n < this.toApply.length && this.toApply[n].index <= index) n++;
    if (n === 0) return;
    this.raft.onApplied(this.toApply.slice(0, n));
    this.toApply = this.toApply.slice(n);
  }

  /**
   * Records a snapshot of the application state at `index` (<= applied) and compacts the log
   * below it; the driver persists the snapshot first.
   */
  createSnapshot(index: number, data: Uint8Array): Snapshot {
    return this.compactTo({ meta: this.snapshotMeta(index), data });
  }

  /** The metadata of a snapshot at `index` (applied, still in the log): term and configuration. */
  snapshotMeta(index: number): Snapshot['meta'] {
    if (index > this.raft.log.applied)
      throw new Error(`raft: cannot snapshot at ${index}, applied ${this.raft.log.applied}`);
    return this.storage.snapshotMeta(index, this.raft.conf);
  }

  /**
   * A snapshot the application made itself (its data may be read lazily, e.g. from a file)
   * becomes the base of the log; entries it covers are dropped.
   */
  compactTo(snapshot: Snapshot): Snapshot {
    if (snapshot.meta.index > this.raft.log.applied)
      throw new Error(
        `raft: cannot snapshot at ${snapshot.meta.index}, applied ${this.raft.log.applied}`,
      );
    return this.storage.compactTo(snapshot);
  }

  status(): Status {
    const r = this.raft;
    const progress: Status['progress'] = {};
    if (r.role === 'leader') {
      for (const [id, pr] of r.prs)
        progress[id] = { match: pr.match, next: pr.next, state: pr.state, learner: pr.isLearner };
    }
    return {
      id: r.id,
      role: r.role,
      term: r.term,
      vote: r.vote,
      lead: r.lead,
      commit: r.log.committed,
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      conf: cloneConf(r.conf),
      leadTransferee: r.leadTransferTarget(),
      progress,
    };
  }
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
