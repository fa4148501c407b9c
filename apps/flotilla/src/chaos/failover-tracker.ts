// Turns successive looks at the cluster into the events a user wants to see after a fault: the
// Raft election, the component Lease takeovers, nodes changing readiness, the target coming back.
// Pure: it is given snapshots and their times, and returns lines; no clock, no I/O.
import type { ClusterSnapshot, MasterSnapshot } from '../observe/cluster-snapshot';

export type TimelineKind =
  | 'fault'
  | 'election'
  | 'stepdown'
  | 'isolated'
  | 'lease'
  | 'node'
  | 'pod'
  | 'service'
  | 'master-down'
  | 'master-up'
  | 'rejoined'
  | 'write'
  | 'action';

export interface TimelineEvent {
  /** Milliseconds after the fault. */
  atMs: number;
  kind: TimelineKind;
  text: string;
}

export class FailoverTracker {
  private leader: { name: string; term: number } | undefined;
  private readonly leaseHolders = new Map<string, string | undefined>();
  private readonly nodeReady = new Map<string, string>();
  private readonly answering = new Map<string, boolean>();
  private readonly roles = new Map<string, MasterSnapshot['role']>();
  private rejoinedAt: number | undefined;
  private lastLeaderCommit: number | undefined;
  /** Holders at the fault, so "moved away from the target" can be told. */
  readonly leasesAtFault: ReadonlyMap<string, string | undefined>;
  readonly leaderAtFault: string | undefined;
  private electedAfterFault: string | undefined;

  constructor(
    before: ClusterSnapshot,
    /** The master the fault hits. */
    readonly target: string,
  ) {
    const leader = before.masters.find((m) => m.role === 'leader');
    if (leader) this.leader = { name: leader.name, term: leader.term ?? 0 };
    this.leaderAtFault = leader?.name;
    for (const m of before.masters) {
      this.answering.set(m.name, m.role !== 'down');
      this.roles.set(m.name, m.role);
    }
    for (const l of before.leases ?? []) this.leaseHolders.set(l.lease, l.holder);
    for (const n of before.nodes ?? []) this.nodeReady.set(n.name, n.ready);
    this.leasesAtFault = new Map(this.leaseHolders);
  }

  /** The events one whole snapshot shows, taken atMs after the fault. */
  observe(s: ClusterSnapshot, atMs: number): TimelineEvent[] {
    return [...this.observeMasters(s.masters, atMs), ...this.observeApi(s, atMs)];
  }

  private readonly latest = new Map<string, MasterSnapshot>();

  /**
   * What the masters said (all, or only some: each is asked on its own, so a paused one does
   * not delay news from the others), atMs after the fault.
   */
  observeMasters(masters: readonly MasterSnapshot[], atMs: number): TimelineEvent[] {
    const events: TimelineEvent[] = [];
    const at = (kind: TimelineKind, text: string) => events.push({ atMs, kind, text });
    for (const m of masters) this.latest.set(m.name, m);
    const s = { masters: [...this.latest.values()] };

    for (const m of masters) {
      const was = this.answering.get(m.name) ?? true;
      const now = m.role !== 'down';
      if (was && !now) at('master-down', `${m.name} stopped answering`);
      if (!was && now) at('master-up', `${m.name} answering again (${describeRole(m)})`);
      this.answering.set(m.name, now);
      // A leader that answers but leads no more: cut off from a majority (check-quorum), or
      // replaced by a leader of a later term.
      if (this.roles.get(m.name) === 'leader' && (m.role === 'follower' || m.role === 'no-leader'))
        at('stepdown', `${m.name} stepped down: ${describeRole(m)}`);
      this.roles.set(m.name, m.role);
    }

    // Only a master that says it leads counts; the highest term wins if two briefly both say so.
    const leader = s.masters
      .filter((m) => m.role === 'leader')
      .sort((a, b) => (b.term ?? 0) - (a.term ?? 0))[0];
    if (leader && (leader.name !== this.leader?.name || (leader.term ?? 0) > this.leader.term)) {
      const was = this.leader ? `was ${this.leader.name}, term ${this.leader.term}` : 'no leader';
      at('election', `Raft: ${leader.name} elected leader, term ${leader.term} (${was})`);
      this.leader = { name: leader.name, term: leader.term ?? 0 };
      this.electedAfterFault ??= leader.name;
    }

    const target = s.masters.find((m) => m.name === this.target);
    const answered = masters.find((m) => m.name === this.target);
    // Back in the cluster: running again and following (or leading) a known leader.
    if (
      this.back &&
      this.backAsAt === undefined &&
      (answered?.role === 'follower' || answered?.role === 'leader')
    ) {
      this.backAsAt = { atMs, role: answered.role };
    }
    if (
      this.rejoinedAt === undefined &&
      target &&
      this.hasLeftAndReturned() &&
      this.caughtUp(target, leader)
    ) {
      this.rejoinedAt = atMs;
      at(
        'rejoined',
        `${target.name} rejoined: ${describeRole(target)}, commit ${target.commit} (leader at ${this.lastLeaderCommit})`,
      );
    }
    if (leader?.commit !== undefined) this.lastLeaderCommit = leader.commit;
    return events;
  }

  /**
   * What the Kubernetes API said, atMs after the fault. A takeover is dated by the Lease's own
   * acquireTime (written by the new holder) when faultAtEpochMs is given, so a slow look at the
   * API does not make it look slower than it was.
   */
  observeApi(
    s: Pick<ClusterSnapshot, 'leases' | 'nodes'>,
    atMs: number,
    faultAtEpochMs?: number,
  ): TimelineEvent[] {
    const events: TimelineEvent[] = [];
    const at = (kind: TimelineKind, text: string, when = atMs) =>
      events.push({ atMs: when, kind, text });
    for (const l of s.leases ?? []) {
      const holder = l.expired ? undefined : l.holder;
      const previous = this.leaseHolders.get(l.lease);
      if (holder !== undefined && holder !== previous) {
        const from = previous ? ` (was ${previous})` : '';
        const acquired = l.acquired ? Date.parse(l.acquired) : NaN;
        const when =
          faultAtEpochMs !== undefined && Number.isFinite(acquired) && acquired >= faultAtEpochMs
            ? Math.min(atMs, acquired - faultAtEpochMs)
            : atMs;
        at('lease', `${l.lease} Lease: taken over by ${holder}${from}`, when);
        this.leaseHolders.set(l.lease, holder);
      }
    }

    for (const n of s.nodes ?? []) {
      const previous = this.nodeReady.get(n.name);
      if (previous !== n.ready) {
        if (n.ready !== 'True') at('node', `node ${n.name} NotReady (Ready=${n.ready})`);
        else if (previous !== undefined) at('node', `node ${n.name} Ready again`);
        this.nodeReady.set(n.name, n.ready);
      }
    }

    return events;
  }

  /** A master other than the old leader leads, or the old one won a later term. */
  get newLeader(): string | undefined {
    return this.electedAfterFault;
  }

  currentLeader(): string | undefined {
    return this.leader?.name;
  }

  holderOf(lease: string): string | undefined {
    return this.leaseHolders.get(lease);
  }

  /** The Leases the target held at the fault that another master holds now. */
  leasesStillOnTarget(): string[] {
    return [...this.leasesAtFault]
      .filter(([, holder]) => holder === this.target)
      .map(([lease]) => lease)
      .filter((lease) => this.leaseHolders.get(lease) === this.target);
  }

  get rejoined(): boolean {
    return this.rejoinedAt !== undefined;
  }

  get rejoinedAtMs(): number | undefined {
    return this.rejoinedAt;
  }

  private backAsAt: { atMs: number; role: string } | undefined;

  /** When the target, running again (restarted, resumed, healed), first knew a leader, and its role. */
  get backAs(): { atMs: number; role: string } | undefined {
    return this.backAsAt;
  }

  private back = false;

  /**
   * Told when the target runs again (resumed, or a new process started): only answers after
   * this count towards its rejoining, never a late answer from before the fault.
   */
  targetBack(): void {
    this.back = true;
  }

  private hasLeftAndReturned(): boolean {
    return this.back && this.answering.get(this.target) === true;
  }

  /** Back in the cluster: answers, follows (or leads) a known leader, and has the leader's commit
   * of one look ago (the looks are taken at once, so the latest one may run slightly ahead). */
  private caughtUp(target: MasterSnapshot, leader: MasterSnapshot | undefined): boolean {
    if (target.role !== 'follower' && target.role !== 'leader') return false;
    if (!leader || this.lastLeaderCommit === undefined) return target.role === 'leader';
    return (target.commit ?? 0) >= this.lastLeaderCommit && target.term === leader.term;
  }
}

function describeRole(m: MasterSnapshot): string {
  if (m.role === 'leader') return `leader, term ${m.term}`;
  if (m.role === 'follower') return `follower of ${m.leader}, term ${m.term}`;
  return `no leader known, term ${m.term}`;
}

/** `  1234 ms  text`, right-aligned so a column of times reads down. */
export function formatEvent(e: TimelineEvent): string {
  return `${String(Math.round(e.atMs)).padStart(7)} ms  ${e.text}`;
}
