import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Message } from '@flotilla/raft';
import { RaftNode } from '../src';
import { CountingMachine } from './counting-machine';
import { eventually, sleep } from './wait';

/**
 * Members on real disks joined by an in-memory network the test can cut: messages between
 * blocked pairs are lost, as they are when a paused or partitioned leader's socket gives up.
 */
class CuttableCluster {
  readonly nodes = new Map<string, RaftNode>();
  private readonly cut = new Set<string>();
  private readonly root = mkdtempSync(join(tmpdir(), 'flotilla-read-barrier-'));

  constructor(readonly ids: string[]) {}

  async start(): Promise<void> {
    for (const id of this.ids) {
      const node = await RaftNode.open(
        { id, initialMembers: this.ids, dataDir: join(this.root, id, 'raft'), tickMs: 20 },
        new CountingMachine(),
      );
      this.nodes.set(id, node);
    }
    for (const [id, node] of this.nodes) {
      node.start({
        send: (msgs: readonly Message[]) => {
          for (const m of msgs) {
            if (this.cut.has(id) || this.cut.has(m.to)) continue;
            setImmediate(() => this.nodes.get(m.to)?.step(m));
          }
        },
      });
    }
  }

  isolate(id: string): void {
    this.cut.add(id);
  }

  heal(): void {
    this.cut.clear();
  }

  async leader(except?: string): Promise<string> {
    return eventually(() => {
      for (const [id, n] of this.nodes) {
        if (id === except || !n.isLeader()) continue;
        const agreed = [...this.nodes.values()].filter((o) => o.leader() === id).length;
        if (agreed >= 2) return id;
      }
      return undefined;
    });
  }

  async stop(): Promise<void> {
    for (const n of this.nodes.values()) await n.stop(false);
    rmSync(this.root, { recursive: true, force: true });
  }
}

describe('RaftNode read barriers across a leader change', () => {
  let cluster: CuttableCluster;

  beforeEach(async () => {
    cluster = new CuttableCluster(['m1', 'm2', 'm3']);
    await cluster.start();
  });

  afterEach(() => cluster.stop());

  it('a follower whose read request went to a leader that was cut off asks the next leader', async () => {
    const old = await cluster.leader();
    const follower = cluster.ids.find((id) => id !== old)!;
    cluster.isolate(old);
    // Forwarded to the old leader and lost with it; before the fix this round waited forever
    // and every later barrier on the member queued behind it.
    const first = cluster.nodes.get(follower)!.readBarrier(10_000);
    const next = await cluster.leader(old);
    expect(next).not.toBe(old);
    await expect(first).resolves.toBeUndefined();
    await expect(cluster.nodes.get(follower)!.readBarrier(2_000)).resolves.toBeUndefined();
  });

  it('after a cut-off leader returns, every member completes a read barrier', async () => {
    const old = await cluster.leader();
    // Reads in flight on every member when the leader is cut off, including on itself.
    const during = cluster.ids.map((id) =>
      cluster.nodes
        .get(id)!
        .readBarrier(1_000)
        .catch(() => 'timed out'),
    );
    cluster.isolate(old);
    await cluster.leader(old);
    await Promise.all(during);
    await sleep(100);
    cluster.heal();
    for (const id of cluster.ids) {
      await eventually(
        () =>
          cluster.nodes
            .get(id)!
            .readBarrier(500)
            .then(() => true),
        5_000,
      );
    }
  });

  it('a barrier whose caller gave up does not hold up the next one', async () => {
    const old = await cluster.leader();
    const follower = cluster.ids.find((id) => id !== old)!;
    cluster.isolate(follower);
    await expect(cluster.nodes.get(follower)!.readBarrier(100)).rejects.toThrow(/timed out/);
    cluster.heal();
    await expect(cluster.nodes.get(follower)!.readBarrier(3_000)).resolves.toBeUndefined();
  });
});
