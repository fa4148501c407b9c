import { Entry, HardState, NodeId, RawNode } from '@flotilla/raft';

export class InvariantViolation extends Error {
  constructor(
    readonly invariant: string,
    detail: string,
  ) {
    super(`${invariant}: ${detail}`);
  }
}

/**
 * The safety properties of Raft (paper, Figure 3), checked as the simulation runs:
 * election safety, log matching, leader completeness, state machine safety, plus the
 * monotonicity of commit and of durable term and vote.
 */
export class SafetyChecker {
  private readonly leaders = new Map<number, NodeId>();
  /** Term of the entry known committed at each index (from any member). */
  private readonly committedTerms: number[] = [];
  /** What was applied at each index, by any member. */
  private readonly applied: { term: number; data: Uint8Array }[] = [];
  private readonly durable = new Map<NodeId, HardState>();
  private readonly seenCommit = new Map<NodeId, number>();
  checks = 0;

  /** Election safety and leader completeness, when `id` becomes leader. */
  onLeader(id: NodeId, node: RawNode): void {
    const term = node.raft.term;
    const other = this.leaders.get(term);
    if (other !== undefined && other !== id) {
      throw new InvariantViolation(
        'election safety',
        `${other} and ${id} both leader in term ${term}`,
      );
    }
    this.leaders.set(term, id);
    const log = node.raft.log;
    for (let i = log.firstIndex(); i < this.committedTerms.length; i++) {
      const want = this.committedTerms[i];
      if (want === undefined) continue;
      const have = log.term(i);
      if (have !== want) {
        throw new InvariantViolation(
          'leader completeness',
          `leader ${id} (term ${term}) has term ${have} at ${i}, committed entry has term ${want}`,
        );
      }
    }
    this.checks++;
  }

  /** Commit never moves back within a life of a node; committed entries never disagree. */
  onCommitObserved(id: NodeId, node: RawNode): void {
    const log = node.raft.log;
    const before = this.seenCommit.get(id) ?? 0;
    if (log.committed < before) {
      throw new InvariantViolation(
        'commit monotonic',
        `${id} commit moved from ${before} to ${log.committed}`,
      );
    }
    for (let i = Math.max(before + 1, log.firstIndex()); i <= log.committed; i++) {
      const term = log.term(i);
      if (term === undefined) continue;
      const known = this.committedTerms[i];
      if (known !== undefined && known !== term) {
        throw new InvariantViolation(
          'committed entries agree',
          `${id} committed term ${term} at ${i}, another member committed term ${known}`,
        );
      }
      this.committedTerms[i] = term;
    }
    this.seenCommit.set(id, log.committed);
    this.checks++;
  }

  /** A node restarted: its volatile commit index starts again from its durable state. */
  onRestart(id: NodeId): void {
    this.seenCommit.delete(id);
  }

  /** State machine safety: no two members apply different commands at one index. */
  onApply(id: NodeId, e: Entry): void {
    const prior = this.applied[e.index];
    if (prior === undefined) {
      this.applied[e.index] = { term: e.term, data: e.data };
    } else if (prior.term !== e.term || !sameBytes(prior.data, e.data)) {
      throw new InvariantViolation(
        'state machine safety',
        `${id} applied (term ${e.term}) at ${e.index}, another member applied (term ${prior.term})`,
      );
    }
    this.checks++;
  }

  /** Durable term never moves back, and a durable vote is never changed within its term. */
  onPersist(id: NodeId, hs: HardState): void {
    const prev = this.durable.get(id);
    if (prev) {
      if (hs.term < prev.term) {
        throw new InvariantViolation(
          'durable term monotonic',
          `${id} term ${prev.term} -> ${hs.term}`,
        );
      }
      if (hs.term === prev.term && prev.vote !== '' && hs.vote !== prev.vote) {
        throw new InvariantViolation(
          'one vote per term',
          `${id} voted ${prev.vote} then ${hs.vote} in term ${hs.term}`,
        );
      }
      if (hs.commit < prev.commit) {
        throw new InvariantViolation(
          'durable commit monotonic',
          `${id} commit ${prev.commit} -> ${hs.commit}`,
        );
      }
    }
    this.durable.set(id, { ...hs });
    this.checks++;
  }

  /**
   * Log matching: if two logs hold an entry with the same index and term, they are identical
   * up to it. With a `window`, only that many entries below the highest such entry are compared
   * (long logs; what lies below is committed, and applying it is checked entry by entry).
   */
  checkLogMatching(nodes: { id: NodeId; node: RawNode }[], window = Infinity): void {
    for (let a = 0; a < nodes.length; a++) {
      for (let b = a + 1; b < nodes.length; b++) {
        matchLogs(nodes[a].id, nodes[a].node, nodes[b].id, nodes[b].node, window);
        this.checks++;
      }
    }
  }
}

function matchLogs(idA: NodeId, a: RawNode, idB: NodeId, b: RawNode, window: number): void {
  const la = a.raft.log;
  const lb = b.raft.log;
  let lo = Math.max(la.firstIndex(), lb.firstIndex());
  const hi = Math.min(la.lastIndex(), lb.lastIndex());
  let i = hi;
  while (i >= lo && la.term(i) !== lb.term(i)) i--;
  if (i < lo) return;
  lo = Math.max(lo, i - window + 1);
  const ea = la.slice(lo, i + 1);
  const eb = lb.slice(lo, i + 1);
  for (let k = 0; k < ea.length; k++) {
    if (ea[k].term !== eb[k].term || !sameBytes(ea[k].data, eb[k].data)) {
      throw new InvariantViolation(
        'log matching',
        `${idA} and ${idB} agree at ${i} (term ${la.term(i)}) but differ at ${ea[k].index}`,
      );
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.byteLength !== b.byteLength) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
