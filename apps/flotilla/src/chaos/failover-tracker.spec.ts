import type { ClusterSnapshot, MasterSnapshot } from '../observe/cluster-snapshot';
import { FailoverTracker, formatEvent } from './failover-tracker';

const master = (
  name: string,
  role: MasterSnapshot['role'],
  term = 3,
  commit = 100,
  leader?: string,
): MasterSnapshot => ({
  name,
  pid: 1,
  role,
  api: 'http://x',
  ...(role === 'down' ? {} : { term, commit, applied: commit, leader }),
});

const lease = (name: string, holder: string | undefined, acquired?: string) => ({
  lease: name,
  holder,
  identity: holder && `${holder}_abc`,
  acquired,
  expired: holder === undefined,
});

const before: ClusterSnapshot = {
  takenAt: '',
  masters: [
    master('m1', 'leader'),
    master('m2', 'follower', 3, 100, 'm1'),
    master('m3', 'follower', 3, 100, 'm1'),
  ],
  leases: [lease('kube-scheduler', 'm1'), lease('kube-controller-manager', 'm2')],
  nodes: [{ name: 'n1', ready: 'True' }],
};

describe('FailoverTracker: a kill-leader timeline from successive looks', () => {
  it('names the election, the Lease takeover, a node NotReady and the rejoin, in order', () => {
    const t = new FailoverTracker(before, 'm1');
    expect(t.observeMasters([master('m1', 'down')], 10).map((e) => e.text)).toEqual([
      'm1 stopped answering',
    ]);
    // m2 briefly knows no leader, then leads a new term.
    expect(t.observeMasters([master('m2', 'no-leader', 4)], 300)).toEqual([]);
    expect(t.newLeader).toBeUndefined();
    expect(t.observeMasters([master('m2', 'leader', 4, 120)], 420)).toEqual([
      { atMs: 420, kind: 'election', text: 'Raft: m2 elected leader, term 4 (was m1, term 3)' },
    ]);
    expect(t.newLeader).toBe('m2');
    expect(t.leasesStillOnTarget()).toEqual(['kube-scheduler']);

    // The takeover is dated by the Lease's acquireTime (fault at epoch 1_000_000), not the look.
    const acquired = new Date(1_000_000 + 2100).toISOString();
    const api = t.observeApi(
      {
        leases: [lease('kube-scheduler', 'm3', acquired), lease('kube-controller-manager', 'm2')],
        nodes: [{ name: 'n1', ready: 'Unknown' }],
      },
      2600,
      1_000_000,
    );
    expect(api).toEqual([
      { atMs: 2100, kind: 'lease', text: 'kube-scheduler Lease: taken over by m3 (was m1)' },
      { atMs: 2600, kind: 'node', text: 'node n1 NotReady (Ready=Unknown)' },
    ]);
    expect(t.leasesStillOnTarget()).toEqual([]);

    // m1's answers count only once it runs again, and once it has the leader's commit.
    t.targetBack();
    const up = t.observeMasters([master('m1', 'follower', 4, 110, 'm2')], 5000);
    expect(up.map((e) => e.kind)).toEqual(['master-up']);
    expect(t.rejoined).toBe(false);
    expect(t.observeMasters([master('m1', 'follower', 4, 125, 'm2')], 5200)).toEqual([
      {
        atMs: 5200,
        kind: 'rejoined',
        text: 'm1 rejoined: follower of m2, term 4, commit 125 (leader at 120)',
      },
    ]);
    expect(t.backAs).toEqual({ atMs: 5000, role: 'follower' });
    expect(t.rejoinedAtMs).toBe(5200);
    expect(formatEvent({ atMs: 420, kind: 'election', text: 'x' })).toBe('    420 ms  x');
  });

  it('takes the higher term when a resumed old leader still says it leads', () => {
    const t = new FailoverTracker(before, 'm1');
    t.observeMasters([master('m1', 'down'), master('m2', 'leader', 4)], 1200);
    const late = t.observeMasters([master('m1', 'leader', 3)], 3000);
    expect(late.map((e) => e.text)).toEqual(['m1 answering again (leader, term 3)']);
    expect(t.currentLeader()).toBe('m2');
  });

  it('does not count an expired Lease as a takeover, and never rejoins a target not yet back', () => {
    const t = new FailoverTracker(before, 'm1');
    expect(
      t.observeApi({ leases: [{ lease: 'kube-scheduler', holder: 'm3', expired: true }] }, 100),
    ).toEqual([]);
    expect(t.holderOf('kube-scheduler')).toBe('m1');
    t.observeMasters([master('m1', 'follower', 3, 100, 'm1'), master('m2', 'leader', 3, 100)], 50);
    expect(t.rejoined).toBe(false);
  });

  it('partition of the leader: it steps down while answering, the majority elects, it catches up after the heal', () => {
    const t = new FailoverTracker(before, 'm1');
    // Cut off, m1 still answers; check-quorum makes it drop leadership.
    expect(t.observeMasters([master('m1', 'leader', 3, 100)], 500)).toEqual([]);
    expect(t.observeMasters([master('m2', 'leader', 4, 110)], 1400).map((e) => e.kind)).toEqual([
      'election',
    ]);
    expect(t.observeMasters([master('m1', 'no-leader', 3, 100)], 1900)).toEqual([
      { atMs: 1900, kind: 'stepdown', text: 'm1 stepped down: no leader known, term 3' },
    ]);
    // Before the heal its answers do not count as a rejoin.
    t.observeMasters([master('m2', 'leader', 4, 150)], 5000);
    expect(t.observeMasters([master('m1', 'no-leader', 3, 100)], 5000)).toEqual([]);
    t.targetBack();
    expect(t.observeMasters([master('m1', 'follower', 4, 140, 'm2')], 5300)).toEqual([]);
    expect(t.observeMasters([master('m1', 'follower', 4, 150, 'm2')], 5400)).toEqual([
      {
        atMs: 5400,
        kind: 'rejoined',
        text: 'm1 rejoined: follower of m2, term 4, commit 150 (leader at 150)',
      },
    ]);
  });

  it('does not call a killed leader that comes back as a follower a step-down', () => {
    const t = new FailoverTracker(before, 'm1');
    t.observeMasters([master('m1', 'down')], 10);
    t.targetBack();
    const back = t.observeMasters([master('m1', 'follower', 4, 100, 'm2')], 3000);
    expect(back.map((e) => e.kind)).not.toContain('stepdown');
  });
});
