import type { NodeId } from '@flotilla/raft';
import { CRASH_TARGETS, SimMember } from './member';
import type { DriverWorld } from './world';

/**
 * The nemesis: every `faultEveryMs` of the chaos phase it rolls for each fault kind: network
 * partitions of every shape, pauses (a member stops, as under SIGSTOP, and resumes with a
 * backlog), crashes (now, or aimed at work under way: a WAL fsync, segment or snapshot files,
 * a store write, an apply), slow disks and leadership transfers. Each fault ends by itself;
 * at the end of the chaos phase everything heals and the liveness phase begins.
 */
export class FaultInjector {
  readonly stats = { partitions: 0, pauses: 0, slowDisks: 0, transfers: 0, gracefulRestarts: 0 };
  private partitionUntil = 0;
  private chaos = true;
  /** Bumped at each heal, so a flapping link's toggles from before it stop. */
  private generation = 0;

  constructor(private readonly world: DriverWorld) {}

  start(): void {
    const w = this.world;
    this.every(w.cfg.faultEveryMs, () => this.roll());
    w.queue.push(w.cfg.chaosMs, undefined, () => this.healAll());
  }

  private every(ms: number, fn: () => void): void {
    const w = this.world;
    w.queue.push(w.now + ms, undefined, () => {
      if (!this.chaos) return;
      fn();
      this.every(ms, fn);
    });
  }

  private duration(): number {
    const w = this.world;
    return 200 + w.rng.float() * (w.cfg.maxFaultMs - 200);
  }

  private roll(): void {
    const w = this.world;
    const r = w.cfg.rates;
    if (this.partitionUntil <= w.now && w.rng.chance(r.partition)) this.partition();
    if (w.rng.chance(r.pause)) this.pause();
    if (w.rng.chance(r.crash)) this.crash();
    if (w.rng.chance(r.crashMidWork)) this.crashMidWork();
    if (w.rng.chance(r.slowDisk)) this.slowDisk();
    if (w.rng.chance(r.transfer)) this.transfer();
    if (w.rng.chance(r.gracefulRestart)) this.gracefulRestart();
  }

  private ids(): NodeId[] {
    return this.world.members.map((m) => m.id);
  }

  private partition(): void {
    const w = this.world;
    const net = w.net;
    const ids = this.ids();
    const ms = this.duration();
    this.partitionUntil = w.now + ms;
    this.stats.partitions++;
    const cutBoth = (a: NodeId, b: NodeId) => {
      net.cutLink(a, b);
      net.cutLink(b, a);
    };
    const kind = w.rng.pick([
      'isolate',
      'isolateLeader',
      'split',
      'asymmetric',
      'flapping',
    ] as const);
    if (kind === 'isolate' || kind === 'isolateLeader') {
      const one = (kind === 'isolateLeader' ? w.leader()?.id : undefined) ?? w.rng.pick(ids);
      for (const b of ids) if (b !== one) cutBoth(one, b);
      w.fault(
        `partition: ${one} isolated${kind === 'isolateLeader' ? ' (the leader)' : ''} for ${ms.toFixed(0)} ms`,
      );
    } else if (kind === 'split') {
      const shuffled = w.rng.shuffle([...ids]);
      const at = 1 + w.rng.int(ids.length - 1);
      const left = shuffled.slice(0, at);
      const right = shuffled.slice(at);
      for (const a of left) for (const b of right) cutBoth(a, b);
      w.fault(`partition: [${left}] | [${right}] for ${ms.toFixed(0)} ms`);
    } else if (kind === 'asymmetric') {
      const one = w.rng.pick(ids);
      for (const b of ids) if (b !== one) net.cutLink(one, b);
      w.fault(`partition: ${one} cannot send (it still hears) for ${ms.toFixed(0)} ms`);
    } else {
      const [a, b] = w.rng.shuffle([...ids]);
      const every = 20 + w.rng.float() * 300;
      const gen = this.generation;
      const toggle = (left: number) => {
        if (gen !== this.generation || left <= 0) return;
        if (net.isCut(a, b)) {
          net.healLink(a, b);
          net.healLink(b, a);
        } else cutBoth(a, b);
        w.queue.push(w.now + every, undefined, () => toggle(left - every));
      };
      toggle(ms);
      w.fault(
        `partition: ${a}<->${b} flapping every ${every.toFixed(0)} ms for ${ms.toFixed(0)} ms`,
      );
    }
    const gen = this.generation;
    w.queue.push(w.now + ms, undefined, () => {
      if (gen !== this.generation) return;
      net.healAll();
      w.fault('partition healed');
    });
  }

  private target(preferLeader: boolean): SimMember | undefined {
    const w = this.world;
    if (preferLeader) {
      const lead = w.leader();
      if (lead) return lead;
    }
    const alive = w.members.filter((m) => m.alive);
    return alive.length > 0 ? w.rng.pick(alive) : undefined;
  }

  private pause(): void {
    const w = this.world;
    const leader = w.rng.chance(0.5);
    const m = this.target(leader);
    if (!m || m.paused) return;
    const ms = this.duration();
    this.stats.pauses++;
    w.fault(
      `pause ${m.id}${leader && m === w.leader() ? ' (the leader)' : ''} for ${ms.toFixed(0)} ms`,
    );
    w.pause(m, ms);
  }

  private crash(): void {
    const w = this.world;
    const leader = w.rng.chance(0.4);
    const m = this.target(leader);
    if (!m) return;
    const ms = this.duration();
    const powerLoss = w.rng.chance(0.5);
    const how = powerLoss ? 'power loss' : 'kill -9';
    w.fault(
      `crash (${how}) ${m.id}${leader && m === w.leader() ? ' (the leader)' : ''}, down ${ms.toFixed(0)} ms`,
    );
    w.crash(m, how, powerLoss);
    this.restartAfter(m, ms);
  }

  private crashMidWork(): void {
    const w = this.world;
    const m = this.target(w.rng.chance(0.4));
    if (!m || m.crashOn) return;
    const targets = CRASH_TARGETS.filter((t) =>
      w.cfg.store === 'mvcc' ? t !== 'model-persist' : t !== 'store-write',
    );
    m.crashOn = w.rng.pick(targets);
    const down = this.duration();
    const proc = m.process;
    w.fault(`crash ${m.id} during its next ${m.crashOn}, then down ${down.toFixed(0)} ms`);
    // Restart once it happened; give up aiming after a while.
    const watch = (left: number) => {
      if (!this.chaos) return;
      if (!proc || proc.dead || m.process !== proc) {
        this.restartAfter(m, down);
        return;
      }
      if (left <= 0) {
        m.crashOn = undefined;
        return;
      }
      w.queue.push(w.now + 50, undefined, () => watch(left - 50));
    };
    watch(5_000);
  }

  private restartAfter(m: SimMember, ms: number): void {
    const w = this.world;
    w.queue.push(w.now + ms, undefined, () => {
      if (this.chaos && !m.alive) w.restart(m);
    });
  }

  private slowDisk(): void {
    const w = this.world;
    const m = w.rng.pick(w.members);
    const ms = this.duration();
    m.slowUntil = Math.max(m.slowUntil, w.now + ms);
    this.stats.slowDisks++;
    w.fault(`slow disk on ${m.id} (x${w.cfg.slowFactor}) for ${ms.toFixed(0)} ms`);
  }

  private transfer(): void {
    const w = this.world;
    const lead = w.leader();
    if (!lead?.node || lead.paused) return;
    const others = lead.node.members().voters.filter((id) => id !== lead.id);
    if (others.length === 0) return;
    const to = w.rng.pick(others);
    this.stats.transfers++;
    w.fault(`transfer leadership ${lead.id} -> ${to}`);
    const node = lead.node;
    lead.process!.after(0, () => node.transferLeadership(to));
  }

  private gracefulRestart(): void {
    const w = this.world;
    const m = this.target(w.rng.chance(0.5));
    if (!m?.up || m.paused) return;
    this.stats.gracefulRestarts++;
    w.fault(`graceful restart of ${m.id}${m === w.leader() ? ' (the leader: it hands over)' : ''}`);
    const proc = m.process!;
    proc.after(0, () => {
      w.gracefulRestart(m).catch((e) => {
        if (!proc.dead) w.fail(`${m.id}: graceful restart failed: ${String(e)}`);
      });
    });
  }

  /** The end of chaos: the network heals, disks recover, paused members resume, crashed ones restart. */
  private healAll(): void {
    const w = this.world;
    this.chaos = false;
    this.generation++;
    w.net.healAll();
    w.net.faults = { drop: 0, duplicate: 0, minDelayMs: 0.1, maxDelayMs: 1 };
    for (const m of w.members) {
      m.slowUntil = 0;
      m.crashOn = undefined;
      if (m.paused && m.process) w.resume(m, m.process);
      if (!m.alive) w.restart(m);
    }
    w.fault('HEAL: network whole, disks fast, paused members resumed, crashed members restarted');
    w.workload.startLiveness();
  }
}
