import { TestCluster } from './testing/cluster';

describe('Raft §6 / thesis ch. 4 membership changes', () => {
  it('a new member joins as a learner, catches up, and is promoted to voter', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    for (let i = 0; i < 5; i++) c.propose('a', `v${i}`, i);
    c.stabilize();
    c.add('d');
    c.node('a').proposeConfChange({ type: 'addLearner', node: 'd' }, 100);
    c.stabilize();
    expect(c.node('a').raft.conf.learners).toEqual(['d']);
    c.tickAll(2);
    expect(c.appliedTexts('d')).toHaveLength(5);
    const status = c.node('a').status();
    expect(status.progress.d.match).toBe(c.node('a').raft.log.lastIndex());
    expect(status.progress.d.learner).toBe(true);
    // Learners do not vote: the quorum is still 2 of 3.
    c.node('a').proposeConfChange({ type: 'addVoter', node: 'd' }, 101);
    c.stabilize();
    expect(c.node('a').raft.conf.voters).toEqual(['a', 'b', 'c', 'd']);
    expect(c.node('d').raft.conf.voters).toEqual(['a', 'b', 'c', 'd']);
  });

  it('only one configuration change may be pending at a time', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.add('d');
    c.add('e');
    const a = c.node('a');
    a.proposeConfChange({ type: 'addLearner', node: 'd' }, 1);
    a.proposeConfChange({ type: 'addLearner', node: 'e' }, 2);
    const rd = a.ready();
    expect(rd.accepted.map((p) => p.id)).toEqual([1]);
    expect(rd.dropped).toEqual([2]);
  });

  it('a removed member no longer counts: two members form the quorum', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.node('a').proposeConfChange({ type: 'remove', node: 'c' }, 1);
    c.stabilize();
    expect(c.node('a').raft.conf.voters).toEqual(['a', 'b']);
    c.isolate('c');
    c.propose('a', 'without-c');
    c.stabilize();
    expect(c.appliedTexts('b')).toEqual(['without-c']);
  });

  it('a leader that removes itself steps down and the rest elect a new leader', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.node('a').proposeConfChange({ type: 'remove', node: 'a' }, 1);
    c.stabilize();
    expect(c.node('a').raft.role).toBe('follower');
    c.tickAll(40);
    const leader = c.leader();
    expect(leader === 'b' || leader === 'c').toBe(true);
  });

  it('invalid changes are refused at proposal time', () => {
    const c = new TestCluster(['a']);
    c.elect('a');
    const a = c.node('a');
    a.proposeConfChange({ type: 'remove', node: 'a' }, 1); // the last voter
    a.proposeConfChange({ type: 'addVoter', node: 'a' }, 2); // already a voter
    expect(a.ready().dropped).toEqual([1, 2]);
  });
});
