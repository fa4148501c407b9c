import { RaftOptions } from './raft';
import { TestCluster } from './testing/cluster';
import { Message } from './types';

const among =
  (...ids: string[]) =>
  (m: Message) =>
    ids.includes(m.from) && ids.includes(m.to);

/**
 * Raft §5.4.2, Figure 8, played message by message on five members: an entry of term 1 ends up
 * on a majority while its leader (term 3) has replicated nothing of term 3; then s5, holding a
 * term-2 entry at the same index, wins term 4. Returns every committed entry (index, term, who
 * committed it) that the new leader's log contradicts: leader completeness requires none.
 */
function playFigure8(opts: Partial<RaftOptions>): string[] {
  const c = new TestCluster(['s1', 's2', 's3', 's4', 's5'], {
    preVote: false,
    checkQuorum: false,
    maxSizePerMsg: 1,
    ...opts,
  });
  const votesOnly =
    (...ids: string[]) =>
    (m: Message) =>
      among(...ids)(m) && (m.type === 'vote' || m.type === 'voteResp');

  c.elect('s1'); // term 1; its empty entry (index 1) reaches everyone
  c.filter = among('s1', 's2');
  c.propose('s1', 'x'); // index 2, term 1: only s1 and s2 hold it
  c.stabilize();

  // s5 wins term 2 with s3 and s4; its own entry at index 2 (term 2) reaches nobody.
  c.filter = votesOnly('s3', 's4', 's5');
  c.elect('s5');
  c.stabilize();

  // s1 restarts and wins term 3 with s2, s3, s4. Its entries of term 3 never get out; its
  // old entry at index 2 (term 1) does reach s3 and s4: a majority holds it.
  c.restart('s1');
  c.filter = (m) => {
    if (!among('s1', 's2', 's3', 's4')(m)) return false;
    if (m.type !== 'app' || !m.entries) return true;
    return { ...m, entries: m.entries.filter((e) => e.index < 3) };
  };
  c.elect('s1');
  c.tickAll(3);

  // s1 stops; s5 restarts and, its last entry being of term 2, is more up to date than
  // s2, s3, s4 (term 1): it wins term 4.
  c.restart('s5');
  c.filter = votesOnly('s2', 's3', 's4', 's5');
  c.elect('s5');

  const leaderLog = c.node('s5').raft.log;
  const contradictions: string[] = [];
  for (const [id, m] of c.members) {
    const log = m.node.raft.log;
    for (let i = 1; i <= log.committed; i++) {
      if (log.term(i) !== leaderLog.term(i)) {
        contradictions.push(
          `${id} committed index ${i} (term ${log.term(i)}), leader has term ${leaderLog.term(i)}`,
        );
      }
    }
  }
  return contradictions;
}

describe('Raft §5.4 safety', () => {
  it('§5.4.2 (Figure 8): the next leader holds every committed entry', () => {
    expect(playFigure8({})).toEqual([]);
  });

  it('the test-only switch that commits earlier-term entries by counting is caught by the same script', () => {
    expect(playFigure8({ unsafe: { commitPriorTermByCounting: true } })).toContain(
      's1 committed index 2 (term 1), leader has term 2',
    );
  });

  it('§5.4.1: a new leader holds every committed entry (it appends an empty entry of its term)', () => {
    const c = new TestCluster(['a', 'b', 'c']);
    c.elect('a');
    c.propose('a', 'x');
    c.stabilize();
    c.isolate('a');
    c.elect('b');
    const b = c.node('b').raft;
    expect(b.log.lastTerm()).toBe(b.term);
    expect(c.get('b').applied.some((e) => new TextDecoder().decode(e.data) === 'x')).toBe(true);
  });
});
