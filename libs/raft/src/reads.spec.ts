import { TestCluster } from './testing/cluster';

describe('Raft §8 / thesis 6.4 linearizable reads (ReadIndex)', () => {
  it('the leader answers a read once a heartbeat round confirms its leadership', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    const a = c.node('a');
    a.readIndex('r1');
    const first = c.handleReady('a')!;
    expect(first.readStates).toEqual([]); // not before the heartbeat round
    expect(
      first.earlyMessages.filter((m) => m.type === 'heartbeat' && m.context === 'r1'),
    ).toHaveLength(2);
    c.stabilize();
    expect(c.readStates.get('a')).toEqual([{ index: a.raft.log.committed, context: 'r1' }]);
  });

  it('a leader cut off from the majority never answers a read', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolate('a');
    const a = c.node('a');
    a.readIndex('r1');
    const states: string[] = [];
    const dropped: string[] = [];
    for (let t = 0; t < 30; t++) {
      a.tick();
      const rd = c.handleReady('a');
      states.push(...(rd?.readStates ?? []).map((r) => r.context));
      dropped.push(...(rd?.droppedReads ?? []));
      c.queue = [];
    }
    expect(states).toEqual([]);
    expect(dropped).toEqual(['r1']); // reported once it stepped down
  });

  it('a follower forwards ReadIndex to the leader and serves at the returned index', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    c.node('b').readIndex('rb');
    c.stabilize();
    expect(c.readStates.get('b')).toEqual([
      { index: c.node('a').raft.log.committed, context: 'rb' },
    ]);
  });

  it('a leader that steps down holding a forwarded read tells the follower, which may ask again', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    // The heartbeat round for b's read never returns: a holds it, then loses leadership.
    c.filter = (m) => !(m.to === 'a' && m.type === 'heartbeatResp');
    c.node('b').readIndex('rb');
    c.stabilize();
    expect(c.readStates.get('b')).toBeUndefined();
    c.heal();
    c.elect('c');
    expect(c.droppedReads.get('b')).toEqual(['rb']);
    expect(c.sent.filter((m) => m.type === 'readIndexResp' && m.reject)).toEqual([
      expect.objectContaining({ from: 'a', to: 'b', context: 'rb' }),
    ]);
  });

  it('lease-based reads answer at once, and require check-quorum', () => {
    expect(
      () => new TestCluster(['a', 'b', 'c'], { readOnly: 'lease', checkQuorum: false }),
    ).toThrow(/checkQuorum/);
    const c = new TestCluster(['a', 'b', 'c'], { readOnly: 'lease' });
    c.elect('a');
    c.node('a').readIndex('fast');
    expect(c.node('a').ready().readStates).toEqual([
      { index: c.node('a').raft.log.committed, context: 'fast' },
    ]);
  });
});
