import { TestCluster } from './testing/cluster';

describe('thesis 3.10 leadership transfer', () => {
  it('hands leadership to an up-to-date voter with TimeoutNow', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    c.node('a').transferLeadership('c');
    c.stabilize();
    expect(c.leader()).toBe('c');
    expect(c.sent.some((m) => m.type === 'timeoutNow' && m.to === 'c')).toBe(true);
  });

  it('brings a lagging target up to date first', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolate('c');
    for (let i = 0; i < 5; i++) c.propose('a', `v${i}`, i);
    c.stabilize();
    c.heal();
    c.node('a').transferLeadership('c');
    c.stabilize();
    expect(c.leader()).toBe('c');
    expect(c.appliedTexts('c')).toHaveLength(5);
  });

  it('refuses proposals while a transfer is in progress, reporting them dropped', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolate('c');
    c.node('a').transferLeadership('c');
    c.propose('a', 'during', 9);
    expect(c.node('a').ready().dropped).toEqual([9]);
  });

  it('abandons a transfer that does not finish within an election timeout', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.filter = (m) => m.to !== 'c' || m.type === 'heartbeat';
    c.node('a').transferLeadership('c');
    expect(c.node('a').raft.leadTransferTarget()).toBe('c');
    c.tickAll(12);
    expect(c.node('a').raft.leadTransferTarget()).toBe('');
    expect(c.leader()).toBe('a');
  });
});
