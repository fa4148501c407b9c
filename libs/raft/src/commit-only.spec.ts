import { committedIndex } from './quorum';
import { TestCluster } from './testing/cluster';

describe('commit-only appends', () => {
  it('a follower holding every entry takes the new commit index without answering', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    const from = c.sent.length;
    for (let i = 0; i < 5; i++) {
      c.propose('a', `x${i}`, i + 1);
      c.stabilize();
    }
    const sent = c.sent.slice(from);
    const commitOnly = sent.filter((m) => m.type === 'app' && m.commitOnly);
    expect(commitOnly.length).toBeGreaterThanOrEqual(5);
    expect(commitOnly.every((m) => (m.entries?.length ?? 0) === 0)).toBe(true);
    // Every other append got its answer; the commit notices got none.
    for (const f of ['b', 'c']) {
      const appends = sent.filter((m) => m.type === 'app' && m.to === f);
      const answers = sent.filter((m) => m.type === 'appResp' && m.from === f);
      expect(answers.length).toBe(appends.filter((m) => !m.commitOnly).length);
    }
    // And the followers did take the commit index: they applied everything.
    const texts = ['x0', 'x1', 'x2', 'x3', 'x4'];
    expect(c.appliedTexts('b')).toEqual(texts);
    expect(c.appliedTexts('c')).toEqual(texts);
  });

  it('appends to a follower still being probed are answered, empty or not', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.isolate('c');
    c.propose('a', 'x');
    c.stabilize();
    c.heal();
    c.tickAll(1); // the heartbeat's answer sends c what it misses
    c.stabilize();
    expect(c.appliedTexts('c')).toEqual(['x']);
    for (const m of c.sent.filter((x) => x.type === 'app' && x.to === 'c' && !x.commitOnly)) {
      const answered = c.sent.some(
        (r) => r.type === 'appResp' && r.from === 'c' && r.term === m.term,
      );
      expect(answered).toBe(true);
    }
  });

  it('a commit-only append the follower cannot take is refused with an answer', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    const a = c.node('a');
    c.stabilize();
    const b = c.node('b');
    // As if b had lost its tail: the leader's notice names an entry b does not hold.
    b.step({
      type: 'app',
      from: 'a',
      to: 'b',
      term: a.raft.term,
      index: b.raft.log.lastIndex() + 5,
      logTerm: a.raft.term,
      entries: [],
      commit: a.raft.log.committed,
      commitOnly: true,
    });
    const rd = b.ready();
    const answers = [...rd.earlyMessages, ...rd.messages].filter((m) => m.type === 'appResp');
    expect(answers).toHaveLength(1);
    expect(answers[0].reject).toBe(true);
  });
});

describe('committedIndex', () => {
  it('is the highest index a majority of voters matched', () => {
    const match = (m: Record<string, number>) => (id: string) => m[id] ?? 0;
    expect(committedIndex(['a'], match({ a: 4 }))).toBe(4);
    expect(committedIndex(['a', 'b', 'c'], match({ a: 5, b: 3, c: 9 }))).toBe(5);
    expect(committedIndex(['a', 'b', 'c'], match({ a: 1, b: 1, c: 9 }))).toBe(1);
    expect(committedIndex(['a', 'b', 'c', 'd'], match({ a: 7, b: 2, c: 6, d: 8 }))).toBe(6);
    expect(committedIndex(['a', 'b', 'c', 'd', 'e'], match({ a: 1, b: 2, c: 3, d: 4, e: 5 }))).toBe(
      3,
    );
    expect(committedIndex([], match({}))).toBe(0);
    // Larger than any scratch space it keeps between calls.
    const many = Array.from({ length: 11 }, (_, i) => `m${i}`);
    const values = Object.fromEntries(many.map((id, i) => [id, (i * 7) % 11]));
    expect(committedIndex(many, match(values))).toBe(5);
  });
});
