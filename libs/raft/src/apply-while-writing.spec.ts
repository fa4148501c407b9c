import { TestCluster } from './testing/cluster';
import { Entry, Message } from './types';

const text = (entries: readonly Entry[]) =>
  entries.filter((e) => e.data.byteLength > 0).map((e) => new TextDecoder().decode(e.data));

/** Steps a follower through one Ready (instant disk) and returns the messages it sends. */
function followerRound(c: TestCluster, id: string, inbox: Message[]): Message[] {
  for (const m of inbox.filter((x) => x.to === id)) c.node(id).step(m);
  const rd = c.node(id).ready();
  c.get(id).storage.append(rd.entries);
  if (rd.hardState) c.get(id).storage.setHardState(rd.hardState);
  c.node(id).advance(rd);
  return [...rd.earlyMessages, ...rd.messages];
}

describe('applying committed entries while a write is under way', () => {
  it('a batch both followers hold durably is handed out before the leader has written it', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    const a = c.node('a');

    a.propose(new TextEncoder().encode('first'), 1);
    const rd1 = a.ready(); // the leader's write of it starts and is still under way
    expect(text(rd1.entries)).toEqual(['first']);
    const index = rd1.entries[0].index;

    // One follower's copy and the leader's unfinished write are not a majority of durable copies.
    const fromB = followerRound(c, 'b', rd1.earlyMessages);
    for (const m of fromB) a.step(m);
    expect(a.raft.log.committed).toBeLessThan(index);
    expect(a.takeCommitted()).toEqual([]);

    // The second follower's makes two: committed, and handed out at once.
    const fromC = followerRound(c, 'c', rd1.earlyMessages);
    for (const m of fromC) a.step(m);
    expect(a.raft.log.committed).toBe(index);
    expect(text(a.takeCommitted())).toEqual(['first']);
    expect(a.takeCommitted()).toEqual([]); // handed out once

    c.get('a').storage.append(rd1.entries);
    a.advance(rd1);
    a.appliedTo(index);
    expect(a.raft.log.applied).toBe(index);
    if (a.hasReady()) expect(a.ready().committedEntries).toEqual([]); // not handed out again
  });

  it('the leader counts its own copy once its write is durable, not before', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    const a = c.node('a');

    a.propose(new TextEncoder().encode('x'), 1);
    const rd1 = a.ready();
    const index = rd1.entries[0].index;
    for (const m of followerRound(c, 'b', rd1.earlyMessages)) a.step(m);
    expect(a.takeCommitted()).toEqual([]);

    // The write ends: the leader's copy and b's make a majority.
    c.get('a').storage.append(rd1.entries);
    a.advance(rd1);
    expect(a.raft.log.committed).toBe(index);
    expect(text(a.takeCommitted())).toEqual(['x']);
  });

  it('a follower applies what the leader committed in the same Ready that writes it', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolate('c');
    for (let i = 0; i < 3; i++) {
      c.propose('a', `e${i}`, i + 1);
      c.stabilize();
    }
    c.heal();
    // c catches up: one append carries the missing entries and a commit index covering them.
    c.tickAll(1);
    const catchUp = c.sent.filter((m) => m.to === 'c' && m.type === 'app' && m.entries?.length);
    expect(catchUp.length).toBeGreaterThan(0);
    expect(c.appliedTexts('c')).toEqual(['e0', 'e1', 'e2']);

    // Replayed by hand on a fresh node over an empty disk: the entries are committed on the
    // leader's side (a majority holds them durably), so the Ready that writes them here also
    // hands them out to apply; nothing is handed out twice.
    const d = new TestCluster(['a', 'b', 'c']);
    const node = d.node('c');
    const app = catchUp[catchUp.length - 1];
    node.step({ ...app, index: 0, logTerm: 0, entries: c.get('a').storage.entries(1, 5) });
    const rd = node.ready();
    expect(rd.entries.length).toBe(4);
    expect(node.raft.log.committed).toBe(4);
    expect(text(rd.committedEntries)).toEqual(['e0', 'e1', 'e2']);
    expect(node.takeCommitted()).toEqual([]);
    d.get('c').storage.append(rd.entries);
    node.advance(rd);
    expect(node.hasReady() ? node.ready().committedEntries : []).toEqual([]);
  });

  it('proposals accepted between Readies are handed to the driver once, before their entries', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    const a = c.node('a');
    a.propose(new TextEncoder().encode('p'), 7);
    const accepted = a.takeAccepted();
    expect(accepted).toEqual([{ id: 7, index: a.raft.log.lastIndex(), term: a.raft.term }]);
    expect(a.takeAccepted()).toEqual([]);
    expect(a.ready().accepted).toEqual([]);
  });
});
