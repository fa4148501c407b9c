import { TestCluster } from './testing/cluster';

describe('Raft §5.3 log replication', () => {
  it('replicates a proposal to every member and commits it', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    for (const id of ['a', 'b', 'c']) expect(c.appliedTexts(id)).toEqual(['x']);
  });

  it('a follower forwards proposals to the leader and learns where they landed', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.propose('b', 'from-b', 42);
    c.handleReady('b');
    c.stabilize();
    expect(c.appliedTexts('a')).toEqual(['from-b']);
    const accepted = c.sent.find((m) => m.type === 'propResp');
    expect(accepted).toMatchObject({ to: 'b', proposalIds: [42], index: 2, term: 1 });
  });

  it('a proposal with no leader known is reported dropped, never silently lost', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.propose('b', 'nobody', 7);
    const rd = c.node('b').ready();
    expect(rd.dropped).toEqual([7]);
  });

  it('thesis 10.2.1: the leader sends before its own write, but counts itself only once durable', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    const a = c.node('a');
    a.propose(new TextEncoder().encode('x'), 1);
    const rd = a.ready();
    expect(rd.entries).toHaveLength(1);
    expect(rd.earlyMessages.filter((m) => m.type === 'app')).toHaveLength(2);
    // One follower acknowledges before the leader's own write completes: no majority yet.
    a.step({ type: 'appResp', from: 'b', to: 'a', term: 1, index: rd.entries[0].index });
    expect(a.raft.log.committed).toBe(1);
    c.get('a').storage.append(rd.entries);
    a.advance(rd);
    expect(a.raft.log.committed).toBe(2);
  });

  it('proposals made between two Ready cycles travel in one append per follower', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    const a = c.node('a');
    for (let i = 0; i < 50; i++) a.propose(new TextEncoder().encode(`p${i}`), i);
    const rd = a.ready();
    const apps = rd.earlyMessages.filter((m) => m.type === 'app');
    expect(apps).toHaveLength(2);
    for (const m of apps) expect(m.entries).toHaveLength(50);
  });

  it('maxSizePerMsg bounds the entries in one append', () => {
    const c = new TestCluster(['a', 'b', 'c'], { maxSizePerMsg: 100 });
    c.elect('a');
    c.isolate('b', 'c');
    for (let i = 0; i < 10; i++) c.propose('a', 'x'.repeat(40), i);
    c.stabilize();
    c.heal();
    c.sent.length = 0;
    c.tickAll(1);
    const apps = c.sent.filter((m) => m.type === 'app' && m.to === 'b' && m.entries!.length > 0);
    expect(apps.length).toBeGreaterThan(1);
    for (const m of apps) expect(m.entries!.length).toBeLessThanOrEqual(2);
    expect(c.appliedTexts('b')).toHaveLength(10);
  });

  it('the in-flight window bounds unacknowledged appends to a follower', () => {
    const c = new TestCluster(['a', 'b', 'c'], { maxInflightMsgs: 3 });
    c.elect('a');
    c.filter = (m) => !(m.from === 'b' && m.type === 'appResp'); // b's acks are lost
    const a = c.node('a');
    for (let i = 0; i < 10; i++) {
      a.propose(new TextEncoder().encode(`p${i}`), i);
      c.handleReady('a');
    }
    const toB = c.queue.filter((m) => m.type === 'app' && m.to === 'b');
    expect(toB).toHaveLength(3);
  });

  it("a follower with a conflicting suffix has it replaced by the leader's entries", () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolate('a');
    for (let i = 0; i < 3; i++) c.propose('a', `lost${i}`, i);
    c.stabilize();
    c.heal();
    c.isolate('a');
    c.elect('b');
    c.propose('b', 'kept');
    c.stabilize();
    c.heal();
    c.tickAll(3);
    expect(c.appliedTexts('a')).toEqual(['kept']);
    expect(c.node('a').raft.log.lastIndex()).toBe(c.node('b').raft.log.lastIndex());
  });

  it('fast back-off: the leader finds the match point with one rejection per conflicting term', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolate('a');
    for (let i = 0; i < 50; i++) c.propose('a', `stale${i}`, i);
    c.stabilize();
    c.heal();
    c.isolate('a');
    c.elect('b');
    for (let i = 0; i < 50; i++) c.propose('b', `new${i}`, i);
    c.stabilize();
    c.heal();
    c.sent.length = 0;
    c.tickAll(3);
    const rejections = c.sent.filter((m) => m.type === 'appResp' && m.from === 'a' && m.reject);
    expect(rejections.length).toBeLessThanOrEqual(2);
    expect(c.appliedTexts('a')).toHaveLength(50);
  });
});
