import { TestCluster } from './testing/cluster';

// A follower whose connection to the leader closed (the driver reports it) campaigns within a
// tick or two instead of an election timeout (10 ticks here), without disturbing a leader that
// the others still hear from.
describe('early election when the connection to the leader is lost', () => {
  it('the followers of a dead leader elect a new one within two ticks, without a split vote', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const c = new TestCluster(['a', 'b', 'c'], {}, seed);
      c.elect('a');
      const term = c.node('a').raft.term;
      c.isolate('a');
      c.node('b').reportLeaderLost();
      c.node('c').reportLeaderLost();
      c.tickAll(2);
      const leaders = ['b', 'c'].filter((id) => c.node(id).raft.role === 'leader');
      expect({ seed, leaders: leaders.length }).toEqual({ seed, leaders: 1 });
      expect(c.node(leaders[0]).raft.term).toBe(term + 1);
    }
  });

  it('the first in turn whose log is up to date wins', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    // c has an entry b lacks: b's campaign (its turn comes first) fails, c's succeeds.
    c.isolate('b');
    c.propose('a', 'x');
    c.stabilize();
    c.isolate('a');
    c.node('b').reportLeaderLost();
    c.node('c').reportLeaderLost();
    c.tickAll(2);
    // (a, cut off, still thinks it leads until check-quorum deposes it.)
    expect(c.node('c').raft.role).toBe('leader');
    expect(c.node('b').raft.lead).toBe('c');
    expect(c.appliedTexts('c')).toEqual(['x']);
  });

  it('without the report the same ticks elect nobody', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolate('a');
    c.tickAll(3);
    expect(['b', 'c'].some((id) => c.node(id).raft.role === 'leader')).toBe(false);
  });

  it('a follower cut off alone from a healthy leader disturbs nothing', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    const term = c.node('a').raft.term;
    // Only the link between a and b breaks; c still hears from a.
    c.filter = (m) => !((m.from === 'a' && m.to === 'b') || (m.from === 'b' && m.to === 'a'));
    c.node('b').reportLeaderLost();
    c.tickAll(5);
    expect(c.node('a').raft.role).toBe('leader');
    expect(c.node('c').raft.lead).toBe('a');
    for (const id of ['a', 'b', 'c']) expect(c.node(id).raft.term).toBe(term);
  });

  it('is ignored by the leader itself and by a member that knows no leader', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.node('b').reportLeaderLost(); // no leader yet
    c.tickAll(3);
    expect(c.leader()).toBeUndefined();
    c.elect('a');
    const term = c.node('a').raft.term;
    c.node('a').reportLeaderLost();
    c.tickAll(3);
    expect(c.leader()).toBe('a');
    expect(c.node('a').raft.term).toBe(term);
  });
});
