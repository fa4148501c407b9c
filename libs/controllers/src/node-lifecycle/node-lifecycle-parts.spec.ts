import { FakeClock, type Lease, type Node } from '@flotilla/client';
import { assessNode } from './node-health';
import { RateLimitedTimedQueue } from './rate-limited-queue';
import { matchingTolerations, minTolerationMs, tolerates, UNREACHABLE_NO_EXECUTE } from './taints';
import { computeZoneState, zoneKey, zoneRate } from './zones';

describe('zones', () => {
  it('computes zone states as Kubernetes does', () => {
    const T = 'True';
    expect(computeZoneState([T, T, T], 0.55).state).toBe('Normal');
    expect(computeZoneState(['Unknown', 'False', undefined], 0.55)).toEqual({
      unhealthy: 3,
      state: 'FullDisruption',
    });
    // Two down of three is not partial: more than two must be down.
    expect(computeZoneState([T, 'Unknown', 'Unknown'], 0.55).state).toBe('Normal');
    expect(computeZoneState([T, T, 'Unknown', 'Unknown', 'Unknown'], 0.55).state).toBe(
      'PartialDisruption',
    );
    expect(computeZoneState([T, T, T, 'Unknown', 'Unknown', 'Unknown'], 0.55).state).toBe('Normal');
  });

  it('picks the eviction rate per state and zone size', () => {
    const rates = { primaryQps: 0.1, secondaryQps: 0.01, largeClusterThreshold: 50 };
    expect(zoneRate('Normal', 3, rates)).toBe(0.1);
    expect(zoneRate('FullDisruption', 3, rates)).toBe(0.1);
    expect(zoneRate('PartialDisruption', 50, rates)).toBe(0);
    expect(zoneRate('PartialDisruption', 51, rates)).toBe(0.01);
  });

  it('keys zones by region and zone labels', () => {
    const n = (labels: Record<string, string>) => ({ metadata: { name: 'x', labels } }) as Node;
    expect(zoneKey(n({}))).toBe('');
    expect(zoneKey(n({ 'topology.kubernetes.io/zone': 'a' }))).toBe(':\x00:a');
    expect(
      zoneKey(n({ 'topology.kubernetes.io/region': 'r', 'topology.kubernetes.io/zone': 'a' })),
    ).toBe('r:\x00:a');
  });
});

describe('the tainting queue', () => {
  it('lets one node through per 1/qps seconds, in order, and a processed node not again', async () => {
    const clock = new FakeClock(0);
    const q = new RateLimitedTimedQueue(0.5, clock);
    const done: string[] = [];
    for (const n of ['a', 'b', 'c']) q.add(n, n);
    const pass = () => q.try(async (name) => (done.push(name), { done: true }));
    await pass();
    expect(done).toEqual(['a']);
    await clock.advance(1000);
    await pass();
    expect(done).toEqual(['a']);
    await clock.advance(1000);
    await pass();
    expect(done).toEqual(['a', 'b']);
    expect(q.add('a', 'a')).toBe(false); // tainted already: not queued again
    q.remove('a');
    expect(q.add('a', 'a')).toBe(true);
  });

  it('stops with a zero rate, and a rate change is not a free token', async () => {
    const clock = new FakeClock(0);
    const q = new RateLimitedTimedQueue(1, clock);
    const done: string[] = [];
    const pass = () => q.try(async (name) => (done.push(name), { done: true }));
    q.add('a', 'a');
    q.add('b', 'b');
    await pass();
    q.swapLimiter(0);
    await clock.advance(10_000);
    await pass();
    expect(done).toEqual(['a']);
    q.swapLimiter(2);
    await pass();
    expect(done).toEqual(['a']); // the new bucket starts empty, as the old one was
    await clock.advance(500);
    await pass();
    expect(done).toEqual(['a', 'b']);
  });

  it('retries a node after the delay its try asked for', async () => {
    const clock = new FakeClock(0);
    const q = new RateLimitedTimedQueue(100, clock);
    let tries = 0;
    q.add('a', 'a');
    const pass = () =>
      q.try(async () => (++tries < 2 ? { done: false, retryAfterMs: 50 } : { done: true }));
    await pass();
    await clock.advance(20);
    await pass();
    expect(tries).toBe(1);
    await clock.advance(40);
    await pass();
    expect(tries).toBe(2);
    expect(q.size).toBe(0);
  });
});

describe('tolerations', () => {
  it('match as Toleration.ToleratesTaint, and bound the stay by the smallest seconds', () => {
    expect(tolerates({ operator: 'Exists' }, UNREACHABLE_NO_EXECUTE)).toBe(true);
    expect(tolerates({ key: 'node.kubernetes.io/unreachable' }, UNREACHABLE_NO_EXECUTE)).toBe(true);
    expect(tolerates({ key: 'x', operator: 'Exists' }, UNREACHABLE_NO_EXECUTE)).toBe(false);
    expect(tolerates({ operator: 'Exists', effect: 'NoSchedule' }, UNREACHABLE_NO_EXECUTE)).toBe(
      false,
    );
    const taints = [UNREACHABLE_NO_EXECUTE, { key: 'k', value: 'v', effect: 'NoExecute' }];
    expect(matchingTolerations(taints, [{ operator: 'Exists', tolerationSeconds: 9 }])).toEqual({
      all: true,
      used: [
        { operator: 'Exists', tolerationSeconds: 9 },
        { operator: 'Exists', tolerationSeconds: 9 },
      ],
    });
    expect(matchingTolerations(taints, [{ key: 'k', value: 'w' }]).all).toBe(false);
    expect(minTolerationMs([{ tolerationSeconds: 30 }, { tolerationSeconds: 10 }, {}])).toBe(
      10_000,
    );
    expect(minTolerationMs([{}])).toBe(-1);
    expect(minTolerationMs([{ tolerationSeconds: -5 }])).toBe(0);
  });
});

describe('assessNode', () => {
  const settings = { gracePeriodMs: 10_000, startupGracePeriodMs: 30_000 };
  const node = (heartbeat: string): Node => ({
    metadata: { name: 'n', creationTimestamp: '2025-01-01T00:00:00Z' },
    status: {
      conditions: [
        { type: 'Ready', status: 'True', lastHeartbeatTime: heartbeat, lastTransitionTime: 'x' },
      ],
    },
  });
  const lease = (renewTime: string) => ({ metadata: { name: 'n' }, spec: { renewTime } }) as Lease;

  it('counts silence on its own clock, from the last new heartbeat or Lease renewal', () => {
    let a = assessNode(undefined, node('h1'), lease('2025-01-01T00:00:01.000000Z'), 1000, settings);
    expect(a.health.probeTimestamp).toBe(1000);
    a = assessNode(a.health, node('h1'), lease('2025-01-01T00:00:05.000000Z'), 5000, settings);
    expect(a.health.probeTimestamp).toBe(5000); // renewed Lease
    a = assessNode(a.health, node('h1'), lease('2025-01-01T00:00:05.000000Z'), 15_000, settings);
    expect(a.status).toBeUndefined(); // exactly the grace period: not yet
    a = assessNode(a.health, node('h1'), lease('2025-01-01T00:00:05.000000Z'), 15_001, settings);
    expect(a.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('Unknown');
    expect(a.observedReady.status).toBe('True');
    expect(a.currentReady?.status).toBe('Unknown');
  });
});
