import { strongReferences } from '@flotilla/io';
import type { Entry, Message, NodeId } from '@flotilla/raft';
import { RaftNode } from '@flotilla/raft-node';
import { LeaseKeeper, ReplicatedStore, StoreMachine } from '@flotilla/replicated-store';
import { MvccStore } from '@flotilla/store';
import { InvariantViolation, SafetyChecker } from '../invariants';
import { Rng, createRng } from '../prng';
import { DriverSimConfig } from './config';
import { EventQueue } from './event-queue';
import { CrashTarget, SimMember } from './member';
import { ModelMachine } from './model-machine';
import { ObservedMachine } from './observed-machine';
import { MemberProcess, Scheduler, SimClock } from './sim-clock';
import { DiskTiming, IoKind, SimFs } from './sim-fs';
import { simOpenDb } from './sim-level';
import { SimNetwork } from './sim-network';
import { Workload } from './workload';
import { FaultInjector } from './faults';
import { simLeaderCall } from './leader-call';

/** Wall clocks start here (the members' clocks are skewed from it). */
const EPOCH_MS = 1_700_000_000_000;
const TRACE_KEEP = 600;
/** Log matching is checked across members every this many events. */
const LOG_MATCH_EVERY = 100;
/** Entries compared below the highest index two logs agree on (the rest is committed). */
const LOG_MATCH_WINDOW = 64;
/** More events than this without virtual time moving: something spins. */
const MAX_EVENTS_AT_ONE_TIME = 100_000;
/** A run takes a few hundred thousand events; far more means messages multiply without end. */
const MAX_EVENTS = 3_000_000;

export interface DriverSimStats {
  events: number;
  virtualMs: number;
  operations: number;
  completed: number;
  readsCompleted: number;
  writesCompleted: number;
  crashes: number;
  crashesMidWork: number;
  restarts: number;
  pauses: number;
  partitions: number;
  slowDisks: number;
  transfers: number;
  gracefulRestarts: number;
  messages: number;
  dropped: number;
  duplicated: number;
  leaders: number;
  snapshotsInstalled: number;
  imagesMade: number;
  compactions: number;
  readRetries: number;
  lostWrites: number;
  tornWrites: number;
  lostLevelBatches: number;
  fsyncs: number;
  invariantChecks: number;
  leasesGranted: number;
  leasesRevoked: number;
}

export interface DriverSimResult {
  seed: number;
  store: DriverSimConfig['store'];
  ok: boolean;
  failure?: string;
  /** Every fault, with its time: what to read first when a seed fails. */
  faults: string[];
  trace: string[];
  stats: DriverSimStats;
}

/**
 * A seeded world that runs the production Raft driver: N real RaftNode instances with their
 * real write-ahead logs, snapshot files and (with the MVCC store) the real store, glue and lease
 * keeper, on virtual time, a simulated disk per member and a faulty simulated network, all in
 * one process. One event runs at a time; after each, the microtasks it started drain before
 * the next (one real setImmediate), so promise chains interleave the same way on every replay.
 */
export class DriverWorld implements Scheduler {
  readonly queue = new EventQueue();
  readonly rng: Rng;
  readonly net: SimNetwork;
  readonly members: SimMember[];
  readonly safety = new SafetyChecker();
  readonly workload: Workload;
  readonly faults: FaultInjector;
  now = 0;
  private sameTime = 0;
  /** The highest index any member has applied. */
  private firstApplied = 0;
  failure: string | undefined;
  finished = false;
  private readonly trace: string[] = [];
  readonly faultLog: string[] = [];
  readonly counters = {
    events: 0,
    crashes: 0,
    crashesMidWork: 0,
    restarts: 0,
    leaders: 0,
    snapshotsInstalled: 0,
    imagesMade: 0,
    compactions: 0,
  };
  /** A scenario's own steps, run from the start alongside the workload (see scenarios.spec.ts). */
  script: ((world: DriverWorld) => Promise<void>) | undefined;
  /** A scenario's view of every message a member sends, before the network takes it. */
  onSend: ((from: SimMember, msg: Message) => void) | undefined;
  /** Votes granted: "voter term" -> candidate. */
  private readonly votes = new Map<string, NodeId>();
  readonly timing: DiskTiming;

  constructor(readonly cfg: DriverSimConfig) {
    this.rng = createRng(cfg.seed);
    this.net = new SimNetwork(this.rng, { ...cfg.network });
    this.members = Array.from(
      { length: cfg.members },
      (_, i) => new SimMember(`n${i + 1}`, this.rng.int(cfg.clockSkewMs + 1)),
    );
    this.timing = {
      latency: (kind, id) => this.ioLatency(kind, this.member(id)),
      started: (id, kind, path, latency) => this.ioStarted(this.member(id), kind, path, latency),
      fsyncLies: cfg.fsyncLies,
    };
    this.workload = new Workload(this);
    this.faults = new FaultInjector(this);
  }

  member(id: NodeId): SimMember {
    const m = this.members.find((x) => x.id === id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  leader(): SimMember | undefined {
    let best: SimMember | undefined;
    for (const m of this.members) {
      if (!m.up || !m.node!.isLeader()) continue;
      if (!best || m.node!.term() > best.node!.term()) best = m;
    }
    return best;
  }

  async run(): Promise<DriverSimResult> {
    const realTurn = globalThis.setImmediate;
    const guard = guardRealTime();
    try {
      await this.loop(realTurn);
    } finally {
      const used = guard.release();
      if (used.length > 0)
        this.fail(`code under simulation used real time or randomness: ${used.join(', ')}`);
    }
    return this.result();
  }

  private async loop(realTurn: typeof setImmediate): Promise<void> {
    for (const m of this.members) this.boot(m);
    this.workload.start();
    this.faults.start();
    const script = this.script;
    if (script) {
      this.queue.push(0, undefined, () => {
        script(this).catch((e) => this.fail(`scenario: ${describeError(e)}`));
      });
    }
    try {
      while (!this.finished && this.failure === undefined) {
        const ev = this.queue.pop();
        if (ev === undefined) {
          this.fail('the world ran out of events (nothing scheduled)');
          break;
        }
        if (ev.at === this.now) {
          if (++this.sameTime > MAX_EVENTS_AT_ONE_TIME) {
            this.fail(`livelock: more than ${MAX_EVENTS_AT_ONE_TIME} events at t=${this.now}`);
            break;
          }
        } else this.sameTime = 0;
        this.now = ev.at;
        const owner = ev.owner;
        if (owner?.dead) continue;
        if (owner?.paused) {
          owner.backlog.push(ev);
          continue;
        }
        if (++this.counters.events > MAX_EVENTS) {
          this.fail(`event storm: more than ${MAX_EVENTS} events by t=${this.now.toFixed(1)}`);
          break;
        }
        try {
          ev.run();
        } catch (e) {
          this.fail(describeError(e));
        }
        await new Promise<void>((resolve) => realTurn(resolve));
        if (this.failure === undefined) this.checkStep();
      }
      if (this.failure === undefined) this.workload.checkHistory();
    } catch (e) {
      this.fail(describeError(e));
    }
  }

  /** Resolves after `ms` of virtual time (for scenarios and the workload). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.queue.push(this.now + ms, undefined, resolve));
  }

  fail(reason: string): void {
    if (this.failure !== undefined) return;
    this.failure = reason;
    this.log(`FAILED: ${reason}`);
  }

  log(line: string): void {
    this.trace.push(`t=${this.now.toFixed(3)} ${line}`);
    if (!this.cfg.trace && this.trace.length > TRACE_KEEP * 2)
      this.trace.splice(0, this.trace.length - TRACE_KEEP);
  }

  fault(line: string): void {
    this.faultLog.push(`t=${this.now.toFixed(1)} ${line}`);
    this.log(`FAULT ${line}`);
  }

  // ------------------------------------------------------------------ members

  /** Starts a new incarnation of the member from its disk. */
  boot(m: SimMember): void {
    const proc = new MemberProcess(`${m.id}#${++m.incarnation}`, this);
    m.process = proc;
    m.fs = new SimFs(m.disk, proc, m.id, this.timing);
    proc.after(0, () => {
      this.open(m, proc).catch((e) => {
        if (!proc.dead) this.fail(`${m.id} failed to start: ${describeError(e)}`);
      });
    });
  }

  private async open(m: SimMember, proc: MemberProcess): Promise<void> {
    const fs = m.fs!;
    const clock = new SimClock(this, proc, EPOCH_MS + m.skewMs, () =>
      this.rng.int(this.cfg.timerLatenessMs + 1),
    );
    const io = { clock, fs, references: strongReferences };
    const check = (entries: readonly Entry[]) => {
      for (const e of entries) {
        this.safety.onApply(m.id, e);
        if (e.index > this.firstApplied) {
          this.firstApplied = e.index;
          this.workload.applied(e);
        }
      }
    };
    const beforeApply = () => this.beforeApply(m, proc);
    let machine: ObservedMachine;
    if (this.cfg.store === 'mvcc') {
      m.store = await MvccStore.open(`${m.dataDir}/store`, {
        io,
        openDb: simOpenDb(fs),
        snapshotChunkBytes: 512,
        compactionStep: 16,
      });
      machine = new ObservedMachine(new StoreMachine(m.store), check, beforeApply);
    } else {
      m.model = await ModelMachine.open(fs, `${m.dataDir}/model`);
      machine = new ObservedMachine(m.model, check, beforeApply);
    }
    const node = await RaftNode.open(
      {
        id: m.id,
        initialMembers: this.members.map((x) => x.id),
        dataDir: `${m.dataDir}/raft`,
        tickMs: this.cfg.raft.tickMs,
        electionTicks: this.cfg.raft.electionTicks,
        heartbeatTicks: 1,
        snapshotEvery: this.cfg.raft.snapshotEvery,
        proposalTimeoutMs: this.cfg.raft.proposalTimeoutMs,
        logSegmentBytes: this.cfg.raft.logSegmentBytes,
        rand: { int: (n) => this.rng.int(n) },
        io,
        log: (level, msg, fields) => this.raftLog(m, level, msg, fields),
      },
      machine,
    );
    if (node.term() < m.maxSentTerm) {
      throw new InvariantViolation(
        'durable term',
        `${m.id} restarted at term ${node.term()} after sending messages of term ${m.maxSentTerm}`,
      );
    }
    m.node = node;
    node.on('fatal', (e: Error) => {
      if (!proc.dead) this.fail(`${m.id}: the raft loop failed: ${describeError(e)}`);
    });
    node.on('leader', (lead: NodeId, role: string) => {
      this.log(`${m.id} sees leader ${lead || '(none)'} as ${role}, term ${node.term()}`);
    });
    if (this.cfg.store === 'mvcc') {
      m.leases = new LeaseKeeper(node, m.store!, simLeaderCall(this, m, proc, clock), clock);
      m.leases.start();
      m.replicated = new ReplicatedStore(node, m.store!, m.leases);
    }
    node.start({ send: (msgs) => this.sendFrom(m, proc, msgs) });
    m.up = true;
    this.log(`${m.id} up (incarnation ${m.incarnation}, term ${node.term()})`);
  }

  private raftLog(
    m: SimMember,
    level: string,
    msg: string,
    fields: Record<string, unknown> | undefined,
  ): void {
    if (msg.startsWith('installed a snapshot')) this.counters.snapshotsInstalled++;
    else if (msg.startsWith('made a snapshot image')) this.counters.imagesMade++;
    else if (msg.startsWith('compacted the log')) this.counters.compactions++;
    this.log(`${m.id} raft ${level}: ${msg}${fields ? ' ' + JSON.stringify(fields) : ''}`);
  }

  /**
   * The incarnation dies with whatever it had under way. With `powerLoss` its disk loses what
   * was not synced; without (kill -9), the page cache survives and with it every write.
   */
  crash(m: SimMember, why: string, powerLoss = true): void {
    const proc = m.process;
    if (!proc || proc.dead) return;
    proc.dead = true;
    proc.backlog = [];
    m.readRetries += m.node?.readRetries ?? 0;
    m.up = false;
    m.node = undefined;
    m.model = undefined;
    m.store = undefined;
    m.replicated = undefined;
    m.leases = undefined;
    m.crashOn = undefined;
    m.lastRole = '';
    if (powerLoss) m.disk.crash(this.rng);
    this.safety.onRestart(m.id);
    this.counters.crashes++;
    this.log(`CRASH ${m.id} (${why})`);
    // Its sockets close: members that followed it may notice at once (see RaftNode.peerDown).
    for (const other of this.members) {
      const op = other.process;
      if (other === m || !other.up || !op || !this.rng.chance(0.8)) continue;
      op.after(this.net.delay(), () => other.node?.peerDown(m.id));
    }
  }

  /**
   * A clean restart, as an operator's: the driver stops (a leader hands over first), the lease
   * keeper and the store close, the process exits, and a new one starts from the disk.
   */
  async gracefulRestart(m: SimMember): Promise<void> {
    const proc = m.process;
    const node = m.node;
    if (!proc || proc.dead || !node || !m.up) return;
    this.log(`STOP ${m.id} (graceful)`);
    await node.stop(true);
    m.leases?.stop();
    await m.store?.close();
    if (m.process !== proc || proc.dead) return;
    this.crash(m, 'exited after a graceful stop', false);
    this.counters.crashes--;
    this.restart(m);
  }

  restart(m: SimMember): void {
    if (m.alive) return;
    this.counters.restarts++;
    this.log(`RESTART ${m.id}`);
    this.boot(m);
  }

  pause(m: SimMember, ms: number): void {
    const proc = m.process;
    if (!proc || proc.dead || proc.paused) return;
    proc.paused = true;
    this.queue.push(this.now + ms, undefined, () => this.resume(m, proc));
  }

  resume(m: SimMember, proc: MemberProcess): void {
    if (proc.dead || !proc.paused) return;
    proc.paused = false;
    const backlog = proc.backlog;
    proc.backlog = [];
    this.log(`RESUME ${m.id} with ${backlog.length} events waiting`);
    for (const ev of backlog) this.queue.push(this.now, proc, ev.run);
  }

  // ------------------------------------------------------------------ the network

  private sendFrom(m: SimMember, proc: MemberProcess, msgs: readonly Message[]): void {
    if (proc.dead) throw new Error(`${proc.name}: a crashed process sent messages`);
    for (const msg of msgs) {
      this.checkSent(m, msg);
      this.onSend?.(m, msg);
      const target = this.members.find((x) => x.id === msg.to);
      if (!target) continue;
      this.net.send(msg, (delay, copy) => {
        const tp = target.process;
        // Nobody listening (down or still starting): the connection is refused.
        if (!target.up || !tp) return;
        tp.after(delay, () => {
          if (!this.net.arrives(copy) || target.process !== tp || !target.node) return;
          if (this.cfg.trace) this.log(`deliver ${describeMessage(copy)}`);
          target.node.step(copy);
        });
      });
    }
  }

  /**
   * What a member sends proves what its disk holds: a granted vote is never granted to another
   * candidate in that term (not even after a crash), and its term never goes back below the
   * term of anything it sent (pre-votes carry the term they ask for, not the sender's own).
   */
  private checkSent(m: SimMember, msg: Message): void {
    if (msg.type === 'voteResp' && !msg.reject) {
      const key = `${m.id} ${msg.term}`;
      const before = this.votes.get(key);
      if (before !== undefined && before !== msg.to) {
        throw new InvariantViolation(
          'one vote per term',
          `${m.id} voted for ${before} and then for ${msg.to} in term ${msg.term}`,
        );
      }
      this.votes.set(key, msg.to);
    }
    if (msg.type !== 'preVote' && msg.type !== 'preVoteResp')
      m.maxSentTerm = Math.max(m.maxSentTerm, msg.term);
  }

  // ------------------------------------------------------------------ the disk

  private ioLatency(kind: IoKind, m: SimMember): number {
    const [lo, hi] = this.cfg.fsyncMs;
    let ms: number;
    if (kind === 'sync') ms = lo + this.rng.float() * (hi - lo);
    else if (kind === 'write' || kind === 'read') ms = 0.01 + this.rng.float() * 0.1;
    else ms = 0.005 + this.rng.float() * 0.02;
    return this.now < m.slowUntil ? ms * this.cfg.slowFactor : ms;
  }

  private ioStarted(m: SimMember, kind: IoKind, path: string, latency: number): void {
    if (m.crashOn === undefined || !matches(m.crashOn, kind, path)) return;
    this.aimCrash(m, `${m.crashOn}: ${kind} ${path}`, latency);
  }

  /** A crash somewhere inside work that takes `latency` and just started. */
  private aimCrash(m: SimMember, what: string, latency: number): void {
    m.crashOn = undefined;
    const proc = m.process;
    this.counters.crashesMidWork++;
    this.queue.push(this.now + this.rng.float() * latency, undefined, () => {
      if (m.process === proc) this.crash(m, `in the middle of ${what}`);
    });
  }

  private async beforeApply(m: SimMember, proc: MemberProcess): Promise<void> {
    if (!this.rng.chance(0.2)) return;
    const ms = this.rng.float() * 2;
    if (m.crashOn === 'apply' && m.process === proc) this.aimCrash(m, 'apply', ms);
    await proc.delay(ms);
  }

  // ------------------------------------------------------------------ checks

  private checkStep(): void {
    try {
      const up: { id: NodeId; node: RaftNode }[] = [];
      for (const m of this.members) {
        if (!m.up || !m.node) continue;
        up.push({ id: m.id, node: m.node });
        const core = m.node.core;
        this.safety.onCommitObserved(m.id, core);
        const role = core.raft.role;
        if (role === 'leader' && m.lastRole !== 'leader') {
          this.counters.leaders++;
          this.log(`LEADER ${m.id} term ${core.raft.term}`);
          this.safety.onLeader(m.id, core);
        }
        m.lastRole = role;
      }
      if (this.counters.events % LOG_MATCH_EVERY === 0) {
        this.safety.checkLogMatching(
          up.map((x) => ({ id: x.id, node: x.node.core })),
          LOG_MATCH_WINDOW,
        );
      }
    } catch (e) {
      this.fail(describeError(e));
    }
  }

  private result(): DriverSimResult {
    const disk = { lostWrites: 0, tornWrites: 0, lostLevelBatches: 0, fsyncs: 0 };
    let readRetries = 0;
    for (const m of this.members) {
      disk.lostWrites += m.disk.stats.lostWrites;
      disk.tornWrites += m.disk.stats.tornWrites;
      disk.lostLevelBatches += m.disk.stats.lostLevelBatches;
      disk.fsyncs += m.disk.stats.syncs;
      readRetries += m.readRetries + (m.node?.readRetries ?? 0);
    }
    const w = this.workload.stats;
    const f = this.faults.stats;
    return {
      seed: this.cfg.seed,
      store: this.cfg.store,
      ok: this.failure === undefined,
      failure: this.failure,
      faults: this.faultLog,
      trace: this.trace,
      stats: {
        events: this.counters.events,
        virtualMs: Math.round(this.now),
        operations: w.operations,
        completed: w.completed,
        readsCompleted: w.readsCompleted,
        writesCompleted: w.writesCompleted,
        crashes: this.counters.crashes,
        crashesMidWork: this.counters.crashesMidWork,
        restarts: this.counters.restarts,
        pauses: f.pauses,
        partitions: f.partitions,
        slowDisks: f.slowDisks,
        transfers: f.transfers,
        gracefulRestarts: f.gracefulRestarts,
        messages: this.net.stats.sent,
        dropped: this.net.stats.dropped,
        duplicated: this.net.stats.duplicated,
        leaders: this.counters.leaders,
        snapshotsInstalled: this.counters.snapshotsInstalled,
        imagesMade: this.counters.imagesMade,
        compactions: this.counters.compactions,
        readRetries,
        ...disk,
        invariantChecks: this.safety.checks,
        leasesGranted: w.leasesGranted,
        leasesRevoked: w.leasesRevoked,
      },
    };
  }
}

/**
 * Replaces the global timers and Math.random while a world runs, counting their use: code under
 * simulation must get time and randomness from the world only, or a seed would not replay.
 */
function guardRealTime(): { release(): string[] } {
  const g = globalThis as unknown as Record<string, unknown>;
  const names = ['setTimeout', 'setInterval', 'setImmediate'] as const;
  const saved = new Map<string, unknown>(names.map((n) => [n, g[n]]));
  const savedRandom = Math.random;
  const used = new Map<string, number>();
  const count = (name: string) => used.set(name, (used.get(name) ?? 0) + 1);
  for (const n of names) {
    const real = saved.get(n) as (...args: unknown[]) => unknown;
    g[n] = (...args: unknown[]) => {
      count(n);
      return real(...args);
    };
  }
  Math.random = () => {
    count('Math.random');
    return savedRandom();
  };
  return {
    release: () => {
      for (const n of names) g[n] = saved.get(n);
      Math.random = savedRandom;
      return [...used].map(([n, times]) => `${n} x${times}`);
    },
  };
}

function matches(target: CrashTarget, kind: IoKind, path: string): boolean {
  switch (target) {
    case 'wal-fsync':
      return kind === 'sync' && /\/log\/[0-9a-f]{16}\.wal(\.tmp)?$/.test(path);
    case 'segment-files':
      return kind === 'meta' && /\/log\/.*\.(wal|tmp)$/.test(path);
    case 'snapshot-files':
      return /\/(snap-[0-9a-f]{16}\.bin|snapshot\.meta)(\.tmp)?$/.test(path);
    case 'store-write':
      return /\/store\//.test(path) && kind !== 'read';
    case 'model-persist':
      return /\/model\/state/.test(path);
    case 'apply':
      return false;
  }
}

function describeMessage(m: Message): string {
  const parts = [`${m.from}->${m.to} ${m.type} t${m.term}`];
  if (m.index !== undefined) parts.push(`i${m.index}`);
  if (m.logTerm !== undefined) parts.push(`lt${m.logTerm}`);
  if (m.commit !== undefined) parts.push(`c${m.commit}`);
  if (m.entries?.length) parts.push(`+${m.entries.length}`);
  if (m.context !== undefined) parts.push(`ctx ${m.context}`);
  if (m.reject) parts.push('REJECT');
  return parts.join(' ');
}

export function describeError(e: unknown): string {
  if (e instanceof InvariantViolation) return e.message;
  if (e instanceof Error) return e.stack ?? e.message;
  return String(e);
}
