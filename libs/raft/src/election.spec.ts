import { TestCluster } from './testing/cluster';

describe('Raft §5.2 leader election', () => {
  it('a follower that hears from no leader for an election timeout starts an election and wins it', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.tickAll(25);
    const leader = c.leader();
    expect(leader).toBeDefined();
    for (const id of ['a', 'b', 'c']) {
      expect(c.node(id).raft.lead).toBe(leader);
      expect(c.node(id).raft.term).toBe(1);
    }
  });

  it('elects exactly one leader per term across many seeds', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const c = new TestCluster(['a', 'b', 'c', 'd', 'e'], {}, seed);
      c.tickAll(40);
      const leaders = [...c.members.values()].filter((m) => m.node.raft.role === 'leader');
      expect(leaders).toHaveLength(1);
      const term = leaders[0].node.raft.term;
      for (const m of c.members.values()) expect(m.node.raft.term).toBe(term);
    }
  });

  it('a member grants at most one vote per term', () => {
    const c = new TestCluster(['a', 'b', 'c'], { preVote: false });
    const b = c.node('b');
    b.step({ type: 'vote', from: 'a', to: 'b', term: 1, index: 0, logTerm: 0 });
    b.step({ type: 'vote', from: 'c', to: 'b', term: 1, index: 0, logTerm: 0 });
    const rd = b.ready();
    const responses = rd.messages.filter((m) => m.type === 'voteResp');
    expect(responses.map((m) => [m.to, !!m.reject])).toEqual([
      ['a', false],
      ['c', true],
    ]);
    expect(rd.hardState).toEqual({ term: 1, vote: 'a', commit: 0 });
  });

  it('votes are not sent before the new term and vote are durable', () => {
    const c = new TestCluster(['a', 'b', 'c'], { preVote: false });
    c.node('a').campaign();
    const rd = c.node('a').ready();
    expect(rd.hardState).toMatchObject({ term: 1, vote: 'a' });
    expect(rd.earlyMessages).toEqual([]);
    expect(rd.messages.filter((m) => m.type === 'vote')).toHaveLength(2);
  });

  it('§5.4.1: a candidate whose log is behind is not elected', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolate('c');
    c.propose('a', 'x');
    c.stabilize();
    c.heal();
    const vote = c.node('b');
    vote.step({
      type: 'vote',
      from: 'c',
      to: 'b',
      term: 5,
      index: 1,
      logTerm: 1,
      context: 'transfer',
    });
    const resp = vote.ready().messages.find((m) => m.type === 'voteResp');
    expect(resp?.reject).toBe(true);
  });

  it('with pre-vote, a member rejoining after a partition does not disrupt the leader', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolate('c');
    c.tickAll(100); // c times out again and again, but pre-votes never raise its term
    expect(c.node('c').raft.term).toBe(1);
    c.heal();
    c.tickAll(5);
    expect(c.leader()).toBe('a');
    expect(c.node('a').raft.term).toBe(1);
  });

  it('without pre-vote, the same rejoin forces a new election (the problem pre-vote solves)', () => {
    const c = new TestCluster(['a', 'b', 'c'], { preVote: false, checkQuorum: false });
    c.elect('a');
    c.isolate('c');
    c.tickAll(100);
    expect(c.node('c').raft.term).toBeGreaterThan(1);
    c.heal();
    c.tickAll(30);
    expect(c.node('a').raft.term).toBeGreaterThan(1);
  });

  it('check-quorum: a leader cut off from the majority steps down within an election timeout', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolate('a');
    c.tickAll(21);
    expect(c.node('a').raft.role).toBe('follower');
  });

  it('a leader that sees a higher term steps down', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.node('a').step({ type: 'appResp', from: 'b', to: 'a', term: 9, index: 0 });
    expect(c.node('a').raft.role).toBe('follower');
    expect(c.node('a').raft.term).toBe(9);
  });

  it('a stale leader learns the newer term from the followers it contacts', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolate('a');
    c.elect('b');
    c.heal();
    c.tickAll(3);
    expect(c.node('a').raft.role).toBe('follower');
    expect(c.node('a').raft.lead).toBe('b');
  });
});
