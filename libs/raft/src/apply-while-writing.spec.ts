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

describe('applying committed entries while a newer write is under way', () => {
  it('a batch a quorum acknowledged is handed out during the write of the next batch', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    const a = c.node('a');
    const disk = c.get('a').storage;

    a.propose(new TextEncoder().encode('first'), 1);
    const rd1 = a.ready();
    disk.append(rd1.entries);
    a.advance(rd1);
    const acks1 = [
      ...followerRound(c, 'b', rd1.earlyMessages),
      ...followerRound(c, 'c', rd1.earlyMessages),
    ];

    // The leader starts writing the next batch; the acks for the first arrive meanwhile.
    a.propose(new TextEncoder().encode('second'), 2);
    const rd2 = a.ready();
    expect(text(rd2.entries)).toEqual(['second']);
    expect(a.takeCommitted()).toEqual([]);
    for (const m of acks1) a.step(m);
    expect(text(a.takeCommitted())).toEqual(['first']);
    expect(a.takeCommitted()).toEqual([]); // handed out once

    // Both followers acknowledge the second batch before the leader's write ends: it is
    // committed, but not durable here yet, so it waits for the leader's own write.
    const acks2 = [
      ...followerRound(c, 'b', rd2.earlyMessages),
      ...followerRound(c, 'c', rd2.earlyMessages),
    ];
    for (const m of acks2) a.step(m);
    expect(a.raft.log.committed).toBe(rd2.entries[0].index);
    expect(a.takeCommitted()).toEqual([]);

    disk.append(rd2.entries);
    a.advance(rd2);
    expect(a.takeCommitted()).toEqual([]); // nothing in flight: the next Ready carries it
    const rd3 = a.ready();
    expect(text(rd3.committedEntries)).toEqual(['second']);
    a.advance(rd3);
    expect(a.raft.log.applied).toBe(rd2.entries[0].index);
  });

  it('a follower never hands out entries its own disk does not hold yet', () => {
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

    // Replayed by hand on a fresh node over an empty disk: the Ready that writes the entries
    // carries none of them as committed; the next one, after the write, carries them all.
    const d = new TestCluster(['a', 'b', 'c']);
    const node = d.node('c');
    const app = catchUp[catchUp.length - 1];
    node.step({ ...app, index: 0, logTerm: 0, entries: c.get('a').storage.entries(1, 5) });
    const rd = node.ready();
    expect(rd.entries.length).toBe(4);
    expect(node.raft.log.committed).toBe(4);
    expect(rd.committedEntries).toEqual([]);
    expect(node.takeCommitted()).toEqual([]);
    d.get('c').storage.append(rd.entries);
    node.advance(rd);
    expect(text(node.ready().committedEntries)).toEqual(['e0', 'e1', 'e2']);
  });
});
