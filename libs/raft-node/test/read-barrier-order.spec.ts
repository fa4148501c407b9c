import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Entry, Message } from '@flotilla/raft';
import { RaftNode, SnapshotImage, StateMachine } from '../src';
import { eventually } from './wait';

/** Remembers how far it applied; enough to tell whether a read would see a write. */
class AppliedIndexMachine implements StateMachine {
  private applied = 0;

  appliedIndex(): number {
    return this.applied;
  }

  async apply(entries: readonly Entry[]): Promise<unknown[]> {
    return entries.map((e) => (this.applied = e.index));
  }

  async snapshot(): Promise<SnapshotImage> {
    const image = Buffer.from(String(this.applied));
    return {
      index: this.applied,
      chunks: (async function* () {
        yield image;
      })(),
      release: async () => undefined,
    };
  }

  async persist(): Promise<number> {
    return 0;
  }

  async restore(data: Uint8Array): Promise<void> {
    this.applied = Number(Buffer.from(data).toString());
  }
}

/**
 * Members joined by an in-memory network that can hold back chosen messages from one member to
 * another (a slow link) and let them through later, one by one.
 */
class HoldingCluster {
  readonly nodes = new Map<string, RaftNode>();
  readonly machines = new Map<string, AppliedIndexMachine>();
  readonly held: Message[] = [];
  private holding: ((m: Message) => boolean) | undefined;
  private readonly root = mkdtempSync(join(tmpdir(), 'flotilla-read-order-'));

  constructor(readonly ids: string[]) {}

  async start(): Promise<void> {
    for (const id of this.ids) {
      const machine = new AppliedIndexMachine();
      const node = await RaftNode.open(
        { id, initialMembers: this.ids, dataDir: join(this.root, id), tickMs: 20 },
        machine,
      );
      this.nodes.set(id, node);
      this.machines.set(id, machine);
    }
    for (const node of this.nodes.values()) {
      node.start({
        send: (msgs: readonly Message[]) => {
          for (const m of msgs) {
            if (this.holding?.(m)) this.held.push(m);
            else this.deliver(m);
          }
        },
      });
    }
  }

  hold(filter: (m: Message) => boolean): void {
    this.holding = filter;
  }

  /** Delivers the held messages the filter picks, in order; the others stay held. */
  release(pick: (m: Message) => boolean = () => true): void {
    const kept = this.held.filter((m) => !pick(m));
    for (const m of this.held) if (pick(m)) this.deliver(m);
    this.held.splice(0, this.held.length, ...kept);
  }

  stopHolding(): void {
    this.holding = undefined;
    this.release();
  }

  node(id: string): RaftNode {
    return this.nodes.get(id)!;
  }

  async leader(): Promise<string> {
    return eventually(() => {
      for (const [id, n] of this.nodes) {
        if (!n.isLeader()) continue;
        if ([...this.nodes.values()].every((o) => o.leader() === id)) return id;
      }
      return undefined;
    });
  }

  async stop(): Promise<void> {
    this.holding = undefined;
    for (const n of this.nodes.values()) await n.stop(false);
    rmSync(this.root, { recursive: true, force: true });
  }

  private deliver(m: Message): void {
    setImmediate(() => this.nodes.get(m.to)?.step(m));
  }
}

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('RaftNode read barriers and the requests asked before them', () => {
  let cluster: HoldingCluster;

  beforeEach(async () => {
    cluster = new HoldingCluster(['m1', 'm2', 'm3']);
    await cluster.start();
  });

  afterEach(() => cluster.stop());

  // Found by the Jepsen suite (test/jepsen): a Kubernetes GET on a resumed leader returned the
  // value from before its pause. A read round that is asked again (no answer within a few ticks,
  // or a leader change) takes in the barriers queued since; the answer to its first request,
  // sent before they began, must not resolve them, or they read at an index older than writes
  // they must see. Each request now serves only the waiters that arrived before it was sent.
  it('a barrier is not served by a request asked before it began', async () => {
    const leader = await cluster.leader();
    const follower = cluster.ids.find((id) => id !== leader)!;
    await cluster.node(leader).propose(Buffer.from('v1'));

    // The link leader -> follower is slow for appends and read answers (heartbeats still pass,
    // so the follower keeps its leader).
    cluster.hold((m) => m.from === leader && m.to === follower && m.type !== 'heartbeat');
    const first = cluster.node(follower).readBarrier(10_000);
    await eventually(() => cluster.held.some((m) => m.type === 'readIndexResp') || undefined);

    // A write commits with the third member; then a second barrier begins on the follower.
    await cluster.node(leader).propose(Buffer.from('v2'));
    const committedBefore = cluster.node(leader).status().commit;
    let appliedWhenServed = -1;
    const second = cluster
      .node(follower)
      .readBarrier(10_000)
      .then(() => {
        appliedWhenServed = cluster.machines.get(follower)!.appliedIndex();
      });
    // The follower gives up waiting on its first request and asks again.
    await eventually(
      () => cluster.held.filter((m) => m.type === 'readIndexResp').length >= 2 || undefined,
    );

    // The answer to the first request arrives alone; it is good for the first barrier only.
    const firstAnswer = cluster.held.find((m) => m.type === 'readIndexResp')!;
    cluster.release((m) => m === firstAnswer);
    await first;
    await turns(10);
    cluster.stopHolding();
    await second;
    expect(appliedWhenServed).toBeGreaterThanOrEqual(committedBefore);
  });
});
