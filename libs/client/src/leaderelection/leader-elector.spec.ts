import { Registry } from 'prom-client';
import type { ResourceOps } from '../contract';
import { FakeClock, FakeCluster, settle } from '../testing';
import {
  LEADER_ELECTION_DEFAULTS,
  LeaderElector,
  type LeaderElectorOptions,
} from './leader-elector';
import type { Lease } from '../rest/types';

const NS = 'kube-system';
const LEASE = 'kube-controller-manager';

/** A seeded PRNG (mulberry32), so every timeline replays exactly. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Term {
  who: string;
  start: number;
  end?: number;
}

/** Candidates on one fake cluster, with every term (start to signal abort) on one timeline. */
class Election {
  readonly clock = new FakeClock();
  readonly cluster = new FakeCluster({ clock: this.clock });
  readonly terms: Term[] = [];
  readonly registry = new Registry();
  readonly electors = new Map<string, LeaderElector>();
  readonly newLeaders = new Map<string, string[]>();

  constructor(private readonly random: () => number = seeded(1)) {}

  leases(client: string): ResourceOps<Lease> {
    return this.cluster.resource<Lease>('leases', NS, { client });
  }

  candidate(who: string, opts: Partial<LeaderElectorOptions> = {}): LeaderElector {
    this.newLeaders.set(who, []);
    const e = new LeaderElector({
      leases: this.leases(who),
      leaseName: LEASE,
      name: who,
      clock: this.clock,
      random: this.random,
      registry: this.registry,
      callbacks: {
        onStartedLeading: (signal) => {
          const term: Term = { who, start: this.clock.now() };
          this.terms.push(term);
          signal.addEventListener('abort', () => (term.end = this.clock.now()));
        },
        onNewLeader: (id) => this.newLeaders.get(who)!.push(id),
      },
      ...opts,
    });
    this.electors.set(who, e);
    void e.run();
    return e;
  }

  async lease(): Promise<Lease> {
    return this.leases('observer').get(LEASE);
  }

  /** Current terms must not overlap: each ends before the next one starts. */
  assertNoOverlap(): void {
    const sorted = [...this.terms].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1];
      const next = sorted[i];
      if (prev.end === undefined || prev.end > next.start) {
        throw new Error(
          `terms overlap: ${prev.who} [${prev.start}, ${prev.end ?? '…'}) and ${next.who} [${next.start}, …)\n` +
            sorted.map((t) => `  ${t.who} ${t.start}..${t.end ?? ''}`).join('\n'),
        );
      }
    }
  }

  async stopAll(): Promise<void> {
    for (const who of this.electors.keys()) this.cluster.heal(who);
    const stopping = [...this.electors.values()].map((e) => e.stop());
    await this.clock.advance(10_000);
    await Promise.all(stopping);
  }
}

async function statusOf(registry: Registry, name: string): Promise<number | undefined> {
  const m = await registry.getSingleMetric('leader_election_master_status')!.get();
  return m.values.find((v) => v.labels.name === name)?.value;
}

describe('LeaderElector', () => {
  it('acquires a missing lease, renews it, and reports itself leader', async () => {
    const el = new Election();
    const a = el.candidate('a');
    await el.clock.advance(0);
    expect(a.isLeader()).toBe(true);
    expect(a.identity).toMatch(/^a_[0-9a-f]{8}-[0-9a-f]{4}-/);
    const first = await el.lease();
    expect(first.spec).toMatchObject({
      holderIdentity: a.identity,
      leaseDurationSeconds: 2,
      leaseTransitions: 0,
    });
    expect(first.spec!.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    await el.clock.advance(5000);
    const later = await el.lease();
    expect(
      Date.parse(later.spec!.renewTime!) - Date.parse(first.spec!.renewTime!),
    ).toBeGreaterThanOrEqual(4500);
    expect(later.spec!.acquireTime).toBe(first.spec!.acquireTime);
    expect(a.isLeader()).toBe(true);
    expect(await statusOf(el.registry, 'a')).toBe(1);
    expect(el.terms).toHaveLength(1);
    await el.stopAll();
    expect(await statusOf(el.registry, 'a')).toBe(0);
  });

  it('keeps a second candidate waiting while the holder renews', async () => {
    const el = new Election();
    const a = el.candidate('a');
    await el.clock.advance(0);
    const b = el.candidate('b');
    await el.clock.advance(20_000);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(b.leader).toBe(a.identity);
    expect(el.newLeaders.get('b')).toEqual([a.identity]);
    expect(el.terms.map((t) => t.who)).toEqual(['a']);
    expect(await statusOf(el.registry, 'b')).toBe(0);
    await el.stopAll();
  });

  it('replaces a killed leader within leaseDuration + two polls (under 3 s with the defaults)', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = seeded(seed);
      const el = new Election(random);
      const renewals: number[] = [];
      el.candidate('a');
      await el.clock.advance(0);
      el.candidate('b');
      el.candidate('c');
      await el.clock.advance(3000 + Math.floor(random() * 1000));
      const before = (await el.lease()).spec!;
      renewals.push(Date.parse(before.renewTime!));
      const killedAt = el.clock.now();
      el.cluster.partition('a'); // as good as dead: nothing it sends arrives
      const a = el.electors.get('a')!;
      await el.clock.advanceUntil(() => el.terms.length > 1, 10_000, 5);
      const next = el.terms[1];
      const takeover = next.start - killedAt;
      const pollMax =
        LEADER_ELECTION_DEFAULTS.retryPeriodMs * (1 + LEADER_ELECTION_DEFAULTS.jitterFactor);
      expect(takeover).toBeLessThanOrEqual(
        LEADER_ELECTION_DEFAULTS.leaseDurationSeconds * 1000 + 2 * pollMax,
      );
      expect(takeover).toBeLessThan(3000);
      expect(a.isLeader()).toBe(false);
      const after = (await el.lease()).spec!;
      expect(after.leaseTransitions).toBe(1);
      expect(after.holderIdentity).toBe(el.electors.get(next.who)!.identity);
      el.assertNoOverlap();
      const m = await el.registry.getSingleMetric('leader_election_takeover_seconds')!.get();
      const count = m.values.find(
        (v) =>
          v.labels.name === next.who &&
          (v as { metricName?: string }).metricName?.endsWith('_count'),
      );
      expect(count?.value).toBe(1);
      await el.stopAll();
    }
  });

  it('hands over at once on a graceful stop, after the leader has stopped acting', async () => {
    const el = new Election();
    let workDone = 0;
    const a = el.candidate('a', {
      callbacks: {
        onStartedLeading: async (signal) => {
          el.terms.push({ who: 'a', start: el.clock.now() });
          await new Promise<void>((r) => signal.addEventListener('abort', () => r()));
          // Winding down takes a little while; the lease must stay held until it is over.
          await new Promise<void>((r) => el.clock.setTimeout(r, 200));
          workDone = el.clock.now();
          el.terms[0].end = workDone;
        },
      },
    });
    await el.clock.advance(0);
    el.candidate('b');
    await el.clock.advance(5000);
    const stopAt = el.clock.now();
    const stopped = a.stop();
    await el.clock.advanceUntil(() => el.terms.length > 1, 5000, 5);
    await stopped;
    const b = el.terms[1];
    expect(workDone).toBe(stopAt + 200);
    expect(b.start).toBeGreaterThanOrEqual(workDone);
    // One poll after the release, not a lease duration.
    expect(b.start - workDone).toBeLessThanOrEqual(
      LEADER_ELECTION_DEFAULTS.retryPeriodMs * 1.2 + 1,
    );
    const lease = (await el.lease()).spec!;
    expect(lease.holderIdentity).toBe(el.electors.get('b')!.identity);
    expect(lease.leaseTransitions).toBe(1);
    el.assertNoOverlap();
    await el.stopAll();
  });

  it('stops acting when it cannot renew, before any rival acquires (fencing timeline)', async () => {
    for (const mode of ['fail', 'hang'] as const) {
      const el = new Election(seeded(7));
      el.candidate('a');
      await el.clock.advance(0);
      el.candidate('b');
      await el.clock.advance(4000);
      el.cluster.partition('a', mode);
      await el.clock.advanceUntil(() => el.terms.length > 1, 10_000, 5);
      const [a, b] = el.terms;
      expect(a.end).toBeDefined();
      // a gives up renewDeadline after its last good renewal; b can only act a whole lease
      // duration after that renewal landed: at least 0.5 s later.
      expect(b.start - a.end!).toBeGreaterThanOrEqual(
        LEADER_ELECTION_DEFAULTS.leaseDurationSeconds * 1000 -
          LEADER_ELECTION_DEFAULTS.renewDeadlineMs,
      );
      el.assertNoOverlap();
      await el.stopAll();
    }
  });

  it('counts a renewal from when it was sent, not from when its slow answer came back', async () => {
    const el = new Election(seeded(3));
    el.candidate('a');
    await el.clock.advance(0);
    // b polls every 10 ms, so it acquires as soon as the lease expires by its clock.
    el.candidate('b', { retryPeriodMs: 10, jitterFactor: 0 });
    // a's writes land at once, but their answers take 590 ms to come back: a still renews in
    // time (2 × 590 + 300 < 1500), yet a deadline counted from the answer would run 590 ms late.
    el.cluster.setLatency('a', { toClient: () => 590 });
    await el.clock.advance(3000);
    const t0 = el.clock.now();
    const renewedBy = (since: number) =>
      el.cluster.calls.find((c) => c.client === 'a' && c.verb === 'update' && c.at > since);
    await el.clock.advanceUntil(() => renewedBy(t0) !== undefined, 2000, 1);
    const landedAt = renewedBy(t0)!.at;
    // Just after that renewal landed (its answer still on the way), a can write no more.
    el.cluster.failNext(new Error('connection reset'), { client: 'a', times: 1000 });
    await el.clock.advanceUntil(() => el.terms.length > 1, 10_000, 5);
    const [a, b] = el.terms;
    expect(a.who).toBe('a');
    expect(b.who).toBe('b');
    expect(a.end).toBe(landedAt + LEADER_ELECTION_DEFAULTS.renewDeadlineMs);
    expect(b.start).toBeGreaterThanOrEqual(
      landedAt + LEADER_ELECTION_DEFAULTS.leaseDurationSeconds * 1000,
    );
    el.assertNoOverlap();
    await el.stopAll();
  });

  it('never lets two terms overlap under random latency, partitions and restarts', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const random = seeded(seed * 101);
      const el = new Election(random);
      const names = ['a', 'b', 'c'];
      for (const n of names) {
        el.cluster.setLatency(n, {
          toServer: () => random() * 300,
          toClient: () => random() * 900,
        });
        el.candidate(n);
      }
      for (let step = 0; step < 40; step++) {
        const who = names[Math.floor(random() * names.length)];
        const roll = random();
        if (roll < 0.25) el.cluster.partition(who, random() < 0.5 ? 'fail' : 'hang');
        else if (roll < 0.6) el.cluster.heal(who);
        await el.clock.advance(200 + Math.floor(random() * 1500));
      }
      el.assertNoOverlap();
      expect(el.terms.length).toBeGreaterThan(1);
      await el.stopAll();
      el.assertNoOverlap();
    }
  });

  it('rejects timings that would let a holder act after a rival took over', () => {
    const leases = new FakeCluster().resource<Lease>('leases', NS);
    const callbacks = { onStartedLeading: () => undefined };
    expect(
      () =>
        new LeaderElector({
          leases,
          leaseName: LEASE,
          callbacks,
          leaseDurationSeconds: 2,
          renewDeadlineMs: 2000,
        }),
    ).toThrow(/renewDeadlineMs \(2000\) must be below the lease duration/);
    expect(
      () =>
        new LeaderElector({
          leases,
          leaseName: LEASE,
          callbacks,
          renewDeadlineMs: 300,
          retryPeriodMs: 300,
        }),
    ).toThrow(/must exceed retryPeriodMs/);
    expect(
      () => new LeaderElector({ leases, leaseName: LEASE, callbacks, leaseDurationSeconds: 1.5 }),
    ).toThrow(/whole number of seconds/);
  });

  it('takes over at once from a lease left released', async () => {
    const el = new Election();
    const a = el.candidate('a');
    await el.clock.advance(1000);
    const stopping = a.stop();
    await el.clock.advance(100);
    await stopping;
    expect((await el.lease()).spec!.holderIdentity).toBe('');
    const t = el.clock.now();
    el.candidate('b');
    await settle();
    await el.clock.advance(0);
    expect(el.terms[1]?.start).toBe(t);
    await el.stopAll();
  });
});
