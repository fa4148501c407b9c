import { RaftOptions } from '../raft';
import { RawNode, Ready } from '../raw-node';
import { MemoryStorage } from '../storage';
import { Entry, Message, NodeId, ReadState } from '../types';

/** A deterministic pseudo-random source for tests: the same seed gives the same run. */
export function seededRand(seed: number) {
  let s = seed >>> 0 || 1;
  return {
    int(n: number): number {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      return s % n;
    },
  };
}

export interface TestMember {
  id: NodeId;
  node: RawNode;
  storage: MemoryStorage;
  applied: Entry[];
}

/**
 * An in-memory cluster for unit tests: members persist instantly, messages are delivered in
 * order unless a test filters them. Small enough to read; the seeded simulation in test/sim
 * is where faults are random.
 */
export class TestCluster {
  readonly members = new Map<NodeId, TestMember>();
  /** Messages sent and not yet delivered. */
  queue: Message[] = [];
  /** False drops a message (partitions, losses chosen by the test); a Message replaces it. */
  filter: (m: Message) => boolean | Message = () => true;
  readonly sent: Message[] = [];
  /** Read states each member's Ready cycles produced. */
  readonly readStates = new Map<NodeId, ReadState[]>();
  /** Read contexts each member's Ready cycles reported as dropped. */
  readonly droppedReads = new Map<NodeId, string[]>();

  constructor(
    ids: NodeId[],
    private readonly opts: Partial<RaftOptions> = {},
    seed = 1,
  ) {
    let n = 0;
    for (const id of ids) this.add(id, { voters: ids, learners: [] }, seed + n++);
  }

  add(
    id: NodeId,
    conf = { voters: [] as NodeId[], learners: [] as NodeId[] },
    seed = 99,
  ): TestMember {
    const storage = new MemoryStorage(conf);
    const member = { id, node: this.makeNode(id, storage, seed), storage, applied: [] as Entry[] };
    this.members.set(id, member);
    return member;
  }

  private makeNode(id: NodeId, storage: MemoryStorage, seed: number): RawNode {
    return new RawNode(
      { id, rand: seededRand(seed), electionTick: 10, heartbeatTick: 1, ...this.opts },
      storage,
    );
  }

  /** Replaces a member's volatile state with a fresh node over its storage (a crash and restart). */
  restart(id: NodeId): void {
    const m = this.get(id);
    m.node = this.makeNode(id, m.storage, 7);
    m.applied = [];
  }

  get(id: NodeId): TestMember {
    const m = this.members.get(id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  node(id: NodeId): RawNode {
    return this.get(id).node;
  }

  leader(): NodeId | undefined {
    for (const m of this.members.values()) if (m.node.raft.role === 'leader') return m.id;
    return undefined;
  }

  /** Processes one Ready of a member as a driver would: persist, send, apply, advance. */
  handleReady(id: NodeId): Ready | undefined {
    const m = this.get(id);
    if (!m.node.hasReady()) return undefined;
    const rd = m.node.ready();
    if (rd.snapshot) m.storage.applySnapshot(rd.snapshot);
    if (rd.entries.length) m.storage.append(rd.entries);
    if (rd.hardState) m.storage.setHardState(rd.hardState);
    for (const msg of [...rd.earlyMessages, ...rd.messages]) this.send(msg);
    m.applied.push(...rd.committedEntries);
    if (rd.readStates.length)
      this.readStates.set(id, [...(this.readStates.get(id) ?? []), ...rd.readStates]);
    if (rd.droppedReads.length)
      this.droppedReads.set(id, [...(this.droppedReads.get(id) ?? []), ...rd.droppedReads]);
    m.node.advance(rd);
    return rd;
  }

  send(msg: Message): void {
    this.sent.push(msg);
    this.queue.push(msg);
  }

  /** Runs Ready cycles and deliveries until nothing moves (bounded). */
  stabilize(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) {
      let moved = false;
      for (const id of this.members.keys()) if (this.handleReady(id)) moved = true;
      const batch = this.queue;
      this.queue = [];
      for (const msg of batch) {
        moved = true;
        const verdict = this.filter(msg);
        if (verdict === false) continue;
        const delivered = verdict === true ? msg : verdict;
        this.members.get(delivered.to)?.node.step(delivered);
      }
      if (!moved) return;
    }
    throw new Error('cluster did not stabilize');
  }

  tickAll(ticks = 1): void {
    for (let t = 0; t < ticks; t++) {
      for (const m of this.members.values()) m.node.tick();
      this.stabilize();
    }
  }

  /**
   * Makes `id` campaign until it wins (a few rounds at most) and settles the election. The
   * campaign is forced, as in a leadership transfer, so followers' leader leases do not stop it.
   */
  elect(id: NodeId): void {
    for (let round = 0; round < 5 && this.node(id).raft.role !== 'leader'; round++) {
      this.node(id).raft.hup(true);
      this.stabilize();
    }
    if (this.node(id).raft.role !== 'leader') throw new Error(`${id} did not win the election`);
  }

  /** Cuts every link to and from the given members. */
  isolate(...ids: NodeId[]): void {
    const cut = new Set(ids);
    this.filter = (m) => !cut.has(m.from) && !cut.has(m.to);
  }

  heal(): void {
    this.filter = () => true;
  }

  propose(id: NodeId, text: string, proposalId = 1): void {
    this.node(id).propose(new TextEncoder().encode(text), proposalId);
  }

  /** The application payloads a member applied, as text (empty leader entries skipped). */
  appliedTexts(id: NodeId): string[] {
    return this.get(id)
      .applied.filter((e) => e.type === 'normal' && e.data.byteLength > 0)
      .map((e) => new TextDecoder().decode(e.data));
  }
}
