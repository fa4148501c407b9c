import {
  AcceptedProposal,
  ConfChange,
  Entry,
  MemoryStorage,
  NodeId,
  RaftOptions,
  RawNode,
  Ready,
} from '@flotilla/raft';
import { HistoryRecorder, KvInput, KvOutput, checkKvHistory } from '../linearizability';
import { InvariantViolation, SafetyChecker } from '../invariants';
import { KvStateMachine, decodeCommand, encodeCommand } from '../kv-state-machine';
import { Network } from './network';
import { Rng, createRng } from '../prng';
import { SimConfig } from './config';

interface ClientOp {
  /** The client gave up waiting; a later outcome still enters the history. */
  abandoned?: boolean;
  client: number;
  handle: number;
  input: KvInput;
  node: NodeId;
  deadline: number;
}

interface Client {
  id: number;
  seq: number;
  busy: ClientOp | undefined;
  /** Last value this client saw per key, to aim its compare-and-swaps at something real. */
  seen: Map<string, string | undefined>;
  /** In the liveness phase: operations still to finish. */
  finalOps: number;
}

/** One member: its "disk" (what survives a crash) and, while up, its volatile life. */
class SimNode {
  readonly disk: MemoryStorage;
  node: RawNode | undefined;
  sm = new KvStateMachine();
  /** A Ready whose disk write is under way and completes at `persistAt`. */
  inflight: Ready | undefined;
  /** The in-flight Ready's committed entries were applied before its write completed. */
  inflightApplied = false;
  persistAt = 0;
  downUntil = 0;
  proposals = new Map<number, ClientOp>();
  byIndex = new Map<number, { term: number; op: ClientOp }>();
  reads = new Map<string, ClientOp>();
  readyReads: { index: number; op: ClientOp }[] = [];
  lastRole = '';

  constructor(
    readonly id: NodeId,
    voters: NodeId[],
  ) {
    this.disk = new MemoryStorage({ voters, learners: [] });
  }

  get up(): boolean {
    return this.node !== undefined;
  }
}

export interface SimResult {
  seed: number;
  ok: boolean;
  failure?: string;
  trace: string[];
  stats: {
    steps: number;
    operations: number;
    completed: number;
    crashes: number;
    partitions: number;
    dropped: number;
    duplicated: number;
    delivered: number;
    leaders: number;
    snapshotsSent: number;
    membershipChanges: number;
    invariantChecks: number;
    maxCommit: number;
    /** Entries applied from takeCommitted() while a newer write was still under way. */
    appliedMidWrite: number;
    /** Entries applied from takeCommitted() with no Ready in flight (right after a step). */
    appliedBetweenReadies: number;
    /** Entries applied while this member's own copy was not yet durable. */
    appliedUnstable: number;
    /** Followers that reported losing their connection to the leader. */
    leaderLostReports: number;
  };
}

const TRACE_KEEP = 400;

/**
 * One seeded world: N members, a faulty network, crashing disks-that-survive, clients with a
 * recorded history. Everything random comes from one seed, so a run replays exactly.
 */
export class World {
  private readonly rng: Rng;
  private readonly net: Network;
  private readonly nodes: SimNode[];
  private readonly clients: Client[] = [];
  private readonly history = new HistoryRecorder<KvInput, KvOutput>();
  private readonly safety = new SafetyChecker();
  private readonly trace: string[] = [];
  private now = 0;
  private nextProposal = 1;
  private nextRead = 1;
  private partitionUntil = 0;
  private flapping: { a: NodeId; b: NodeId; every: number } | undefined;
  private crashes = 0;
  private partitions = 0;
  private snapshotsSent = 0;
  private completed = 0;
  private operations = 0;
  private leaderElections = 0;
  private membershipChanges = 0;
  private appliedMidWrite = 0;
  private appliedBetweenReadies = 0;
  private appliedUnstable = 0;
  private leaderLostReports = 0;
  private chaos = true;

  constructor(private readonly cfg: SimConfig) {
    this.rng = createRng(cfg.seed);
    this.net = new Network(this.rng, { ...cfg.network });
    const ids = Array.from({ length: cfg.nodes }, (_, i) => `n${i + 1}`);
    this.nodes = ids.map((id) => new SimNode(id, ids));
    for (const n of this.nodes) this.start(n);
    for (let c = 0; c < cfg.clients; c++) {
      this.clients.push({ id: c, seq: 0, busy: undefined, seen: new Map(), finalOps: 0 });
    }
  }

  run(): SimResult {
    let failure: string | undefined;
    try {
      for (let s = 0; s < this.cfg.steps; s++) this.step();
      failure = this.heal();
      if (!failure) failure = this.checkHistory();
    } catch (e) {
      // An assertion inside the core is as much a finding as a violated invariant.
      failure = e instanceof InvariantViolation ? e.message : `assertion: ${(e as Error).stack}`;
    }
    return {
      seed: this.cfg.seed,
      ok: failure === undefined,
      failure,
      trace: this.trace,
      stats: {
        steps: this.now,
        operations: this.operations,
        completed: this.completed,
        crashes: this.crashes,
        partitions: this.partitions,
        dropped: this.net.droppedCount,
        duplicated: this.net.duplicatedCount,
        delivered: this.net.delivered,
        leaders: this.leaderElections,
        snapshotsSent: this.snapshotsSent,
        membershipChanges: this.membershipChanges,
        invariantChecks: this.safety.checks,
        maxCommit: Math.max(...this.nodes.map((n) => n.node?.raft.log.committed ?? 0)),
        appliedMidWrite: this.appliedMidWrite,
        appliedBetweenReadies: this.appliedBetweenReadies,
        appliedUnstable: this.appliedUnstable,
        leaderLostReports: this.leaderLostReports,
      },
    };
  }

  private log(line: string): void {
    const text = `t=${this.now} ${line}`;
    if (this.cfg.trace) this.trace.push(text);
    else {
      this.trace.push(text);
      if (this.trace.length > TRACE_KEEP * 2) this.trace.splice(0, this.trace.length - TRACE_KEEP);
    }
  }

  // ------------------------------------------------------------------ life cycle

  private start(n: SimNode): void {
    const opts: RaftOptions = {
      id: n.id,
      rand: { int: (k) => this.rng.int(k) },
      electionTick: 10,
      heartbeatTick: 1,
      maxSizePerMsg: this.cfg.maxSizePerMsg,
      maxInflightMsgs: 8,
      maxSnapshotChunk: 64,
      ...this.cfg.raft,
    };
    n.node = new RawNode(opts, n.disk);
    n.sm = KvStateMachine.restore(n.disk.snapshot().data);
    n.inflight = undefined;
    n.lastRole = '';
    this.safety.onRestart(n.id);
  }

  /**
   * As the driver does when a peer connection closes: the followers of a leader that crashed
   * (its sockets close at once) report it and campaign early. Not always, and a partition is not
   * reported: a cut link only times out, as on a real network.
   */
  private noticeLostLeaders(crashed: NodeId): void {
    for (const f of this.nodes) {
      const lead = f.node?.raft.lead;
      if (!f.node || !lead || lead === f.id) continue;
      if (lead === crashed && this.rng.chance(0.8)) {
        this.log(`${f.id} lost its connection to leader ${lead}`);
        f.node.reportLeaderLost();
        this.leaderLostReports++;
      }
    }
  }

  private crash(n: SimNode, downFor: number): void {
    this.log(
      `CRASH ${n.id} (unpersisted ready lost: ${n.inflight ? n.inflight.entries.length + ' entries' : 'none'})`,
    );
    n.node = undefined;
    n.inflight = undefined;
    n.downUntil = this.now + downFor;
    this.noticeLostLeaders(n.id);
    for (const op of [
      ...n.proposals.values(),
      ...[...n.byIndex.values()].map((v) => v.op),
      ...n.reads.values(),
    ]) {
      this.abandon(op);
    }
    for (const r of n.readyReads) this.abandon(r.op);
    n.proposals.clear();
    n.byIndex.clear();
    n.reads.clear();
    n.readyReads = [];
    this.crashes++;
  }

  // ------------------------------------------------------------------ one step

  private step(): void {
    this.now++;
    if (this.chaos) this.injectFaults();
    for (const n of this.nodes) {
      if (!n.node && this.now >= n.downUntil && n.downUntil > 0) {
        this.log(`RESTART ${n.id}`);
        this.start(n);
      }
    }
    for (const m of this.net.due(this.now)) {
      const target = this.nodes.find((n) => n.id === m.to);
      if (target?.node) target.node.step(m);
    }
    for (const n of this.nodes) {
      // A little clock skew: now and then a member misses a tick.
      if (n.node && !this.rng.chance(this.cfg.tickSkip)) n.node.tick();
    }
    this.runClients();
    for (const n of this.nodes) {
      // As the driver does: a leader's new appends leave before the Ready that holds them.
      if (n.node && this.rng.chance(0.5))
        for (const m of n.node.takeEarlyMessages()) this.sendMessage(m);
      // As the driver does: entries committed while a write is under way, or between Readies,
      // are applied at once (in order: only once the in-flight Ready's own committed entries
      // are applied). Committed entries need not be durable here yet.
      if (n.node && (!n.inflight || n.inflightApplied) && this.rng.chance(0.5)) {
        const entries = n.node.takeCommitted();
        if (n.inflight) this.appliedMidWrite += entries.length;
        else this.appliedBetweenReadies += entries.length;
        this.trackAccepted(n, n.node.takeAccepted());
        this.applyNow(n, entries);
      }
      this.drive(n);
    }
    this.checkStep();
  }

  private injectFaults(): void {
    const ids = this.nodes.map((n) => n.id);
    if (this.flapping && this.now % this.flapping.every === 0) {
      const { a, b } = this.flapping;
      if (this.net.isCut(a, b)) {
        this.net.healLink(a, b);
        this.net.healLink(b, a);
      } else {
        this.net.cutLink(a, b);
        this.net.cutLink(b, a);
      }
    }
    if (this.partitionUntil > 0 && this.now >= this.partitionUntil) {
      this.net.healAll();
      this.flapping = undefined;
      this.partitionUntil = 0;
      this.log('HEAL network');
    }
    if (this.partitionUntil === 0 && this.rng.chance(this.cfg.partitionRate)) {
      this.partitions++;
      this.partitionUntil = this.now + 20 + this.rng.int(this.cfg.maxPartitionTicks);
      const kind = this.rng.pick(['split', 'asymmetric', 'isolateLeader', 'flapping'] as const);
      if (kind === 'split') {
        const shuffled = this.rng.shuffle([...ids]);
        const cutAt = 1 + this.rng.int(ids.length - 1);
        const left = shuffled.slice(0, cutAt);
        const right = shuffled.slice(cutAt);
        for (const a of left)
          for (const b of right) {
            this.net.cutLink(a, b);
            this.net.cutLink(b, a);
          }
        this.log(`PARTITION split [${left}] | [${right}]`);
      } else if (kind === 'asymmetric') {
        const a = this.rng.pick(ids);
        for (const b of ids) if (b !== a) this.net.cutLink(a, b);
        this.log(`PARTITION ${a} cannot send`);
      } else if (kind === 'isolateLeader') {
        const leader =
          this.nodes.find((n) => n.node?.raft.role === 'leader')?.id ?? this.rng.pick(ids);
        for (const b of ids)
          if (b !== leader) {
            this.net.cutLink(leader, b);
            this.net.cutLink(b, leader);
          }
        this.log(`PARTITION leader ${leader} isolated`);
      } else {
        const [a, b] = this.rng.shuffle([...ids]);
        this.flapping = { a, b, every: 2 + this.rng.int(8) };
        this.log(`PARTITION flapping ${a}<->${b} every ${this.flapping.every}`);
      }
    }
    if (this.rng.chance(this.cfg.membershipRate)) this.changeMembership();
    if (this.rng.chance(this.cfg.transferRate)) this.transferLeadership();
    if (this.rng.chance(this.cfg.crashRate)) {
      const up = this.nodes.filter((n) => n.node);
      if (up.length > 0) this.crash(this.rng.pick(up), 5 + this.rng.int(this.cfg.maxDownTicks));
    }
  }

  /**
   * The leader proposes one single-server change: remove a voter (down to three), add a
   * non-member back as a learner, or promote a learner. The core refuses a change while another
   * is pending; that refusal is part of what is tested.
   */
  private changeMembership(): void {
    const leader = this.nodes.find((n) => n.node?.raft.role === 'leader');
    if (!leader?.node) return;
    const conf = leader.node.raft.conf;
    const outside = this.nodes
      .map((n) => n.id)
      .filter((id) => !conf.voters.includes(id) && !conf.learners.includes(id));
    const roll = this.rng.float();
    let cc: ConfChange | undefined;
    if (conf.learners.length > 0 && roll < 0.4)
      cc = { type: 'addVoter', node: this.rng.pick(conf.learners) };
    else if (outside.length > 0 && roll < 0.7)
      cc = { type: 'addLearner', node: this.rng.pick(outside) };
    else if (conf.voters.length > 3) cc = { type: 'remove', node: this.rng.pick(conf.voters) };
    if (!cc) return;
    this.log(
      `CONF ${leader.id} proposes ${cc.type} ${cc.node} (voters ${conf.voters}, learners ${conf.learners})`,
    );
    this.membershipChanges++;
    leader.node.proposeConfChange(cc, this.nextProposal++);
  }

  /** The leader hands over to a random voter, as a graceful stop or a rebalance does. */
  private transferLeadership(): void {
    const leader = this.nodes.find((n) => n.node?.raft.role === 'leader');
    if (!leader?.node) return;
    const others = leader.node.raft.conf.voters.filter((id) => id !== leader.id);
    if (others.length === 0) return;
    const to = this.rng.pick(others);
    this.log(`TRANSFER ${leader.id} -> ${to}`);
    leader.node.transferLeadership(to);
  }

  /** Runs the Ready cycle: early sends now, the disk write after a delay, then the rest. */
  private drive(n: SimNode): void {
    const node = n.node;
    if (!node) return;
    for (let rounds = 0; rounds < 8; rounds++) {
      if (n.inflight) {
        if (this.now < n.persistAt) return;
        this.completeReady(n, node, n.inflight);
        if (!n.node) return;
      }
      if (!node.hasReady()) return;
      const rd = node.ready();
      this.noteRole(n, node, rd);
      for (const m of rd.earlyMessages) this.sendMessage(m);
      n.inflight = rd;
      this.trackAccepted(n, rd.accepted);
      n.inflightApplied = !rd.snapshot && this.rng.chance(0.5);
      if (n.inflightApplied) this.applyNow(n, rd.committedEntries);
      n.persistAt = this.now + this.rng.int(this.cfg.diskDelayMax + 1);
    }
  }

  private noteRole(n: SimNode, node: RawNode, rd: Ready): void {
    if (!rd.softState) return;
    if (rd.softState.role === 'leader' && n.lastRole !== 'leader') {
      this.leaderElections++;
      this.log(
        `LEADER ${n.id} term ${node.raft.term} last ${node.raft.log.lastIndex()} commit ${node.raft.log.committed}`,
      );
      this.safety.onLeader(n.id, node);
    }
    n.lastRole = rd.softState.role;
  }

  /** Proposals now at a place in the log: their outcome is the entry applied there. */
  private trackAccepted(n: SimNode, accepted: readonly AcceptedProposal[]): void {
    for (const a of accepted) {
      const op = n.proposals.get(a.id);
      if (!op) continue;
      n.proposals.delete(a.id);
      n.byIndex.set(a.index, { term: a.term, op });
    }
  }

  /** Applies committed entries before the Ready in flight is durable, as the contract allows. */
  private applyNow(n: SimNode, entries: readonly Entry[]): void {
    if (!n.node || entries.length === 0) return;
    const stable = n.node.raft.log.stableIndex();
    this.appliedUnstable += entries.filter((e) => e.index > stable).length;
    for (const e of entries) this.applyEntry(n, e.index, e.term, e.type, e.data);
    n.node.appliedTo(entries[entries.length - 1].index);
    this.serveReads(n);
  }

  private completeReady(n: SimNode, node: RawNode, rd: Ready): void {
    n.inflight = undefined;
    if (rd.snapshot) {
      n.disk.applySnapshot(rd.snapshot);
      n.sm = KvStateMachine.restore(rd.snapshot.data);
      this.log(`${n.id} installed snapshot at ${rd.snapshot.meta.index}`);
    }
    if (rd.entries.length > 0) n.disk.append(rd.entries);
    if (rd.hardState) {
      n.disk.setHardState(rd.hardState);
      this.safety.onPersist(n.id, rd.hardState);
    }
    for (const m of rd.messages) this.sendMessage(m);
    if (!n.inflightApplied)
      for (const e of rd.committedEntries) this.applyEntry(n, e.index, e.term, e.type, e.data);
    for (const id of rd.dropped) {
      const op = n.proposals.get(id);
      if (!op) continue;
      n.proposals.delete(id);
      this.fail(op, 'proposal dropped');
    }
    for (const ctx of rd.droppedReads) {
      const op = n.reads.get(ctx);
      if (!op) continue;
      n.reads.delete(ctx);
      this.fail(op, 'read dropped');
    }
    for (const rs of rd.readStates) {
      const op = n.reads.get(rs.context);
      if (!op) continue;
      n.reads.delete(rs.context);
      n.readyReads.push({ index: rs.index, op });
    }
    node.advance(rd);
    this.serveReads(n);
    this.safety.onCommitObserved(n.id, node);
    const snapIndex = n.disk.snapshot().meta.index;
    if (
      n.sm.appliedIndex - snapIndex >= this.cfg.snapshotEvery &&
      node.raft.log.applied >= n.sm.appliedIndex &&
      node.raft.log.stableIndex() >= n.sm.appliedIndex
    ) {
      node.createSnapshot(n.sm.appliedIndex, n.sm.snapshot());
      this.log(`${n.id} snapshot at ${n.sm.appliedIndex}`);
    }
  }

  private applyEntry(
    n: SimNode,
    index: number,
    term: number,
    type: string,
    data: Uint8Array,
  ): void {
    this.safety.onApply(n.id, { index, term, type: type as 'normal', data });
    if (index <= n.sm.appliedIndex) return;
    const out =
      type === 'normal' ? n.sm.apply(index, decodeCommand(data)) : n.sm.apply(index, undefined);
    const waiting = n.byIndex.get(index);
    if (!waiting) return;
    n.byIndex.delete(index);
    if (waiting.term === term && out) this.complete(waiting.op, out);
    else this.fail(waiting.op, `index ${index} went to term ${term}`);
  }

  private serveReads(n: SimNode): void {
    const still: { index: number; op: ClientOp }[] = [];
    for (const r of n.readyReads) {
      if (n.sm.appliedIndex >= r.index && r.op.input.kind === 'get') {
        this.complete(r.op, { kind: 'value', value: n.sm.read(r.op.input.key) });
      } else still.push(r);
    }
    n.readyReads = still;
  }

  private sendMessage(m: import('@flotilla/raft').Message): void {
    if (m.type === 'snap') this.snapshotsSent++;
    if (this.cfg.trace) {
      this.log(
        `${m.from}->${m.to} ${m.type} t${m.term}${m.index !== undefined ? ' i' + m.index : ''}${m.entries?.length ? ' +' + m.entries.length : ''}${m.reject ? ' REJECT' : ''}`,
      );
    }
    this.net.send(this.now, m);
  }

  // ------------------------------------------------------------------ clients

  private runClients(): void {
    for (const c of this.clients) {
      if (c.busy && this.now > c.busy.deadline) {
        this.log(`client ${c.id} times out on ${describe(c.busy.input)}`);
        // The proposal stays tracked: if it is applied later, the history learns its outcome,
        // which keeps the number of forever-pending operations (and the checker's work) small.
        this.abandon(c.busy);
      }
      if (c.busy) continue;
      if (!this.chaos && c.finalOps === 0) continue;
      if (this.chaos && !this.rng.chance(this.cfg.clientRate)) continue;
      const up = this.nodes.filter((n) => n.node);
      if (up.length === 0) continue;
      this.issue(c, this.rng.pick(up));
    }
  }

  private issue(c: Client, n: SimNode): void {
    const key = `k${this.rng.int(this.cfg.keys)}`;
    const value = `c${c.id}.${++c.seq}`;
    const roll = this.rng.float();
    let input: KvInput;
    if (roll < 0.4) input = { kind: 'put', key, value };
    else if (roll < 0.8) input = { kind: 'get', key };
    else if (roll < 0.95) input = { kind: 'cas', key, expected: c.seen.get(key), next: value };
    else input = { kind: 'delete', key };
    const op: ClientOp = {
      client: c.id,
      handle: this.history.invoke(c.id, input, this.now),
      input,
      node: n.id,
      deadline: this.now + this.cfg.clientTimeout,
    };
    c.busy = op;
    this.operations++;
    const node = n.node!;
    if (input.kind === 'get') {
      const ctx = `r${this.nextRead++}`;
      n.reads.set(ctx, op);
      node.readIndex(ctx);
    } else {
      const id = this.nextProposal++;
      n.proposals.set(id, op);
      node.propose(encodeCommand({ input, client: c.id, seq: c.seq }), id);
    }
  }

  private complete(op: ClientOp, out: KvOutput): void {
    const c = this.clients[op.client];
    if (op.abandoned) {
      this.history.complete(op.handle, out, this.now);
      op.abandoned = false;
      return;
    }
    if (c.busy !== op) return;
    this.history.complete(op.handle, out, this.now);
    if (out.kind === 'value') c.seen.set(op.input.key, out.value);
    if (op.input.kind === 'put') c.seen.set(op.input.key, op.input.value);
    if (op.input.kind === 'cas' && out.kind === 'cas' && out.applied)
      c.seen.set(op.input.key, op.input.next);
    c.busy = undefined;
    this.completed++;
    if (c.finalOps > 0) c.finalOps--;
  }

  /** A definite failure: the operation had no effect, so it leaves the history. */
  private fail(op: ClientOp, why: string): void {
    const c = this.clients[op.client];
    if (op.abandoned) {
      this.history.discard(op.handle);
      op.abandoned = false;
      return;
    }
    if (c.busy !== op) return;
    this.log(`client ${op.client} ${describe(op.input)} failed: ${why}`);
    this.history.discard(op.handle);
    c.busy = undefined;
  }

  /** The client gives up without knowing: the operation stays pending in the history. */
  private abandon(op: ClientOp): void {
    const c = this.clients[op.client];
    if (c.busy === op) {
      c.busy = undefined;
      op.abandoned = true;
    }
  }

  // ------------------------------------------------------------------ checks

  private checkStep(): void {
    if (this.now % this.cfg.logMatchEvery !== 0) return;
    const up = this.nodes.filter((n) => n.node).map((n) => ({ id: n.id, node: n.node! }));
    this.safety.checkLogMatching(up);
  }

  /**
   * Liveness: with the network healed and every member up, a leader is elected and each client
   * completes fresh operations within a bounded number of ticks.
   */
  private heal(): string | undefined {
    this.chaos = false;
    this.net.healAll();
    this.flapping = undefined;
    this.net.faults = { drop: 0, duplicate: 0, maxDelay: this.cfg.network.maxDelay };
    for (const n of this.nodes) {
      if (!n.node) {
        n.downUntil = this.now;
      }
    }
    this.log('HEAL all: network healed, every member restarting');
    for (const c of this.clients) c.finalOps = 2;
    const deadline = this.now + this.cfg.healSteps;
    while (this.now < deadline) {
      this.step();
      const leader = this.nodes.find((n) => n.node?.raft.role === 'leader');
      const done = this.clients.every((c) => c.finalOps === 0 && !c.busy);
      if (leader && done) {
        const commit = leader.node!.raft.log.committed;
        const conf = leader.node!.raft.conf;
        const members = this.nodes.filter(
          (n) => conf.voters.includes(n.id) || conf.learners.includes(n.id),
        );
        if (members.every((n) => n.node && n.node.raft.log.committed === commit)) {
          const up = this.nodes.map((n) => ({ id: n.id, node: n.node! }));
          this.safety.checkLogMatching(up);
          return undefined;
        }
      }
    }
    const roles = this.nodes.map(
      (n) =>
        `${n.id}:${n.node?.raft.role ?? 'down'}/t${n.node?.raft.term}/c${n.node?.raft.log.committed}`,
    );
    const waiting = this.clients.filter((c) => c.finalOps > 0 || c.busy).map((c) => c.id);
    return `liveness: not converged ${this.cfg.healSteps} ticks after healing (${roles.join(' ')}; clients waiting: ${waiting.join(',')})`;
  }

  private checkHistory(): string | undefined {
    // A generous budget: histories with many never-answered writes (crashed members) are costly.
    const result = checkKvHistory(this.history.operations(), { maxSteps: 200_000_000 });
    if (result.ok) return undefined;
    return `linearizability (${result.status}) on key ${result.key}: ${result.explanation}`;
  }
}

function describe(input: KvInput): string {
  switch (input.kind) {
    case 'put':
      return `put(${input.key},${input.value})`;
    case 'get':
      return `get(${input.key})`;
    case 'cas':
      return `cas(${input.key},${input.expected}->${input.next})`;
    case 'delete':
      return `delete(${input.key})`;
  }
}
